package io.jvmm.api.resource;

/** A handle configuration is invalid. The message names the JSON path of the offending value. */
public class ConfigException extends RuntimeException {
    private final String path;

    public ConfigException(String path, String problem) {
        super(path + ": " + problem);
        this.path = path;
    }

    /** JSON path of the offending value, e.g. {@code $.devices[2].config.base}. */
    public String path() {
        return path;
    }
}
