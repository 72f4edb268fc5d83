package io.jvmm.runtime.manifest;

import io.jvmm.api.resource.ConfigException;

/**
 * A manifest document cannot be read. The message starts with the JSON path of the offending
 * value ({@code $.devices[2].config.base.io_port: ...}) and says what was expected.
 */
public final class ManifestException extends Exception {
    private final String path;

    public ManifestException(String path, String problem) {
        super(path + ": " + problem);
        this.path = path;
    }

    ManifestException(ConfigException cause) {
        super(cause.getMessage(), cause);
        this.path = cause.path();
    }

    /** JSON path of the offending value; {@code $} for the whole document. */
    public String path() {
        return path;
    }
}
