package io.jvmm.api.device;

import java.util.Arrays;
import java.util.Objects;

/**
 * A device's saved state: a format version and opaque bytes.
 *
 * @param format a name for the format, e.g. {@code serial.uart16550}
 * @param version incremented on every incompatible change of the byte layout
 * @param data the bytes (copied on the way in and out)
 */
public record SavedStateBlob(String format, int version, byte[] data) {
    public SavedStateBlob {
        Objects.requireNonNull(format, "format");
        data = data.clone();
    }

    @Override
    public byte[] data() {
        return data.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SavedStateBlob b
                && b.format.equals(format) && b.version == version && Arrays.equals(b.data, data);
    }

    @Override
    public int hashCode() {
        return Objects.hash(format, version, Arrays.hashCode(data));
    }

    @Override
    public String toString() {
        return format + " v" + version + " (" + data.length + " bytes)";
    }
}
