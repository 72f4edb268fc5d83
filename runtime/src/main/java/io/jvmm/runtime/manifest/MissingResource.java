package io.jvmm.runtime.manifest;

/**
 * A resource in a manifest that no loaded resolver provides.
 *
 * @param device the manifest name of the device it belongs to
 * @param path where it is in the manifest document, e.g. {@code $.devices[1].config.io}
 * @param kind its kind name
 * @param id its resolver id
 */
public record MissingResource(String device, String path, String kind, String id) {
    /** {@code kind:id}. */
    public String key() {
        return kind + ":" + id;
    }

    @Override
    public String toString() {
        return "device '" + device + "' (" + path + "): no resolver for " + key();
    }
}
