package io.jvmm.api.device;

/** Saved state, taken and restored only while the device is stopped. */
public interface SaveRestore {
    SavedStateBlob save();

    /**
     * Restores a blob produced by {@link #save()} of this or an older supported version.
     *
     * @throws IllegalArgumentException naming what is wrong, for an unknown format, an unsupported
     *     version or malformed bytes; the device state is then unchanged
     */
    void restore(SavedStateBlob blob);
}
