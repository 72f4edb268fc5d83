package io.jvmm.api.resource;

import java.util.List;
import java.util.Optional;

/**
 * Reads one handle's {@code config} object. Numbers may be written as JSON numbers or as
 * {@code "0x…"} strings. Every failure is a {@link ConfigException} naming the JSON path.
 */
public interface ConfigReader {
    /** The JSON path of this object, e.g. {@code $.devices[3].config}. */
    String path();

    /** Whether the key is present. Does not consume it. */
    boolean has(String key);

    /** An unsigned integer in {@code [0, max]}. */
    long unsigned(String key, long max);

    default int u8(String key) {
        return (int) unsigned(key, 0xFF);
    }

    default int u16(String key) {
        return (int) unsigned(key, 0xFFFF);
    }

    default long u32(String key) {
        return unsigned(key, 0xFFFF_FFFFL);
    }

    /** A 64-bit unsigned value; values above {@link Long#MAX_VALUE} come back negative. */
    long u64(String key);

    boolean bool(String key);

    default boolean bool(String key, boolean defaultValue) {
        return has(key) ? bool(key) : defaultValue;
    }

    String string(String key);

    /** A nested resource of the given kind, written as {@code {"kind":…,"id":…,"config":{…}}}. */
    <T> Resource<T> resource(String key, ResourceKind<T> kind);

    /** A list of objects. */
    List<ConfigReader> objects(String key);

    /** An optional nested object. */
    Optional<ConfigReader> object(String key);

    /** An error positioned at {@code key} in this object. */
    ConfigException error(String key, String problem);
}
