package io.jvmm.api.resource;

import java.util.function.Consumer;

/** Writes one handle's {@code config} object, in call order. */
public interface ConfigWriter {
    ConfigWriter number(String key, long value);

    /** Writes {@code "0x…"}, for addresses and ports. */
    ConfigWriter hex(String key, long value);

    ConfigWriter bool(String key, boolean value);

    ConfigWriter string(String key, String value);

    ConfigWriter resource(String key, Resource<?> value);

    /** A list of objects; {@code element} is called once per element with a fresh writer. */
    <E> ConfigWriter objects(String key, Iterable<E> elements, java.util.function.BiConsumer<E, ConfigWriter> element);

    /** A nested object. */
    ConfigWriter object(String key, Consumer<ConfigWriter> body);
}
