package io.jvmm.runtime.manifest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvmm.api.resource.ConfigWriter;
import io.jvmm.api.resource.Resource;
import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/** Writes one {@code config} object into a Jackson object node, keys in call order. */
final class JsonConfigWriter implements ConfigWriter {
    private final ObjectNode node;

    JsonConfigWriter(ObjectNode node) {
        this.node = node;
    }

    /** {@code {"kind":…,"id":…,"config":{…}}} for a resource, into {@code target}. */
    static void writeResource(Resource<?> resource, ObjectNode target) {
        target.put("kind", resource.kind().name());
        target.put("id", resource.id());
        ObjectNode config = target.putObject("config");
        resource.handle().writeConfig(new JsonConfigWriter(config));
    }

    @Override
    public ConfigWriter number(String key, long value) {
        return put(key, node.numberNode(value));
    }

    @Override
    public ConfigWriter hex(String key, long value) {
        // Unsigned, so u64 values above Long.MAX_VALUE print as written.
        return put(key, node.textNode("0x" + Long.toHexString(value)));
    }

    @Override
    public ConfigWriter bool(String key, boolean value) {
        return put(key, node.booleanNode(value));
    }

    @Override
    public ConfigWriter string(String key, String value) {
        Objects.requireNonNull(value, () -> "config value \"" + key + "\"");
        return put(key, node.textNode(value));
    }

    @Override
    public ConfigWriter resource(String key, Resource<?> value) {
        Objects.requireNonNull(value, () -> "config resource \"" + key + "\"");
        ObjectNode child = node.objectNode();
        put(key, child);
        writeResource(value, child);
        return this;
    }

    @Override
    public <E> ConfigWriter objects(String key, Iterable<E> elements, BiConsumer<E, ConfigWriter> element) {
        ArrayNode array = node.arrayNode();
        put(key, array);
        for (E e : elements) {
            element.accept(e, new JsonConfigWriter(array.addObject()));
        }
        return this;
    }

    @Override
    public ConfigWriter object(String key, Consumer<ConfigWriter> body) {
        ObjectNode child = node.objectNode();
        put(key, child);
        body.accept(new JsonConfigWriter(child));
        return this;
    }

    /** Copies an unresolved handle's configuration as it was read. */
    void putVerbatim(OpaqueJson.Obj config) {
        for (OpaqueJson.Member m : config.members()) {
            put(m.key(), OpaqueJsonCodec.toNode(m.value(), node));
        }
    }

    private ConfigWriter put(String key, JsonNode value) {
        Objects.requireNonNull(key, "key");
        if (node.has(key)) {
            // A handle's writeConfig is buggy; the document would silently lose a value.
            throw new IllegalStateException("config key \"" + key + "\" written twice");
        }
        node.set(key, value);
        return this;
    }
}
