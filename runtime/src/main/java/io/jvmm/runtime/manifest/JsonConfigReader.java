package io.jvmm.runtime.manifest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvmm.api.resource.ConfigException;
import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.Resource;
import io.jvmm.api.resource.ResourceKind;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Reads one JSON object strictly. It remembers every key it was asked about, so that afterwards
 * {@link #checkNoUnknownKeys()} can reject keys nobody read (typos) in this object and every
 * nested object it handed out.
 */
final class JsonConfigReader implements ConfigReader {
    private static final Pattern HEX_DIGITS = Pattern.compile("[0-9a-fA-F]+");
    private static final BigInteger U64_MAX = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

    private final ObjectNode node;
    private final String path;
    private final HandleParser resources;
    /** Keys asked about (read or tested with has), in order: the "known keys" of error messages. */
    private final Set<String> mentioned = new LinkedHashSet<>();
    private final Map<String, List<JsonConfigReader>> children = new LinkedHashMap<>();
    /** Set for an unresolved resource's config: nobody reads it, so nothing in it is unknown. */
    private boolean opaque;

    JsonConfigReader(ObjectNode node, String path, HandleParser resources) {
        this.node = node;
        this.path = path;
        this.resources = resources;
    }

    ObjectNode node() {
        return node;
    }

    HandleParser resources() {
        return resources;
    }

    void markOpaque() {
        opaque = true;
    }

    @Override
    public String path() {
        return path;
    }

    @Override
    public boolean has(String key) {
        mentioned.add(key);
        return node.has(key);
    }

    /** The raw value of {@code key}, or null; marks the key as known. */
    JsonNode raw(String key) {
        mentioned.add(key);
        return node.get(key);
    }

    private JsonNode required(String key) {
        JsonNode v = raw(key);
        if (v == null) {
            throw error(key, "required key is missing");
        }
        return v;
    }

    @Override
    public long unsigned(String key, long max) {
        JsonNode v = required(key);
        BigInteger maxValue = new BigInteger(Long.toUnsignedString(max));
        BigInteger value;
        if (v.isIntegralNumber()) {
            value = v.bigIntegerValue();
            if (value.signum() < 0) {
                throw error(key, "must not be negative, got " + value);
            }
        } else if (v.isTextual() && (v.textValue().startsWith("0x") || v.textValue().startsWith("0X"))) {
            String digits = v.textValue().substring(2);
            if (!HEX_DIGITS.matcher(digits).matches()) {
                throw error(key, "invalid hex number " + JsonPaths.quote(v.textValue())
                        + " (expected 0x followed by hex digits, e.g. \"0x3f8\")");
            }
            value = new BigInteger(digits, 16);
        } else if (v.isTextual() && v.textValue().matches("[0-9]+")) {
            throw error(key, "expected a number or \"0x…\" string, got " + JsonPaths.describe(v)
                    + " (write decimal numbers without quotes: " + v.textValue() + ")");
        } else {
            throw error(key, "expected a number or \"0x…\" string, got " + JsonPaths.describe(v));
        }
        if (value.compareTo(maxValue) > 0) {
            throw error(key, JsonPaths.describe(v) + " is out of range (maximum " + maxValue + " = 0x"
                    + maxValue.toString(16) + ")");
        }
        return value.longValue();
    }

    @Override
    public long u64(String key) {
        return unsigned(key, U64_MAX.longValue());
    }

    @Override
    public boolean bool(String key) {
        JsonNode v = required(key);
        if (!v.isBoolean()) {
            throw error(key, "expected true or false, got " + JsonPaths.describe(v));
        }
        return v.booleanValue();
    }

    @Override
    public String string(String key) {
        JsonNode v = required(key);
        if (!v.isTextual()) {
            throw error(key, "expected a string, got " + JsonPaths.describe(v));
        }
        return v.textValue();
    }

    @Override
    public <T> Resource<T> resource(String key, ResourceKind<T> kind) {
        JsonNode v = required(key);
        if (!v.isObject()) {
            throw error(key, "expected a resource object {\"kind\": \"" + kind.name()
                    + "\", \"id\": …, \"config\": {…}}, got " + JsonPaths.describe(v));
        }
        JsonConfigReader entry = child(key, (ObjectNode) v, JsonPaths.child(path, key));
        return resources.parse(entry, kind);
    }

    @Override
    public List<ConfigReader> objects(String key) {
        JsonNode v = required(key);
        if (!v.isArray()) {
            throw error(key, "expected an array of objects, got " + JsonPaths.describe(v));
        }
        List<JsonConfigReader> cached = children.get(key);
        if (cached == null) {
            cached = new ArrayList<>();
            String arrayPath = JsonPaths.child(path, key);
            for (int i = 0; i < v.size(); i++) {
                JsonNode e = v.get(i);
                String elementPath = JsonPaths.element(arrayPath, i);
                if (!e.isObject()) {
                    throw new ConfigException(elementPath, "expected an object, got " + JsonPaths.describe(e));
                }
                cached.add(new JsonConfigReader((ObjectNode) e, elementPath, resources));
            }
            children.put(key, cached);
        }
        return List.copyOf(cached);
    }

    @Override
    public Optional<ConfigReader> object(String key) {
        return optionalObject(key).map(r -> r);
    }

    /** Like {@link #object} but typed, for the manifest's own structure. */
    Optional<JsonConfigReader> optionalObject(String key) {
        JsonNode v = raw(key);
        if (v == null) {
            return Optional.empty();
        }
        if (!v.isObject()) {
            throw error(key, "expected an object, got " + JsonPaths.describe(v));
        }
        return Optional.of(child(key, (ObjectNode) v, JsonPaths.child(path, key)));
    }

    JsonConfigReader requiredObject(String key) {
        return optionalObject(key).orElseThrow(() -> error(key, "required key is missing"));
    }

    List<JsonConfigReader> requiredObjects(String key) {
        objects(key);
        return List.copyOf(children.get(key));
    }

    // Asking twice for the same nested object yields the same reader, so keys read through
    // either count.
    private JsonConfigReader child(String key, ObjectNode value, String childPath) {
        List<JsonConfigReader> cached = children.get(key);
        if (cached != null && cached.size() == 1 && cached.get(0).node == value) {
            return cached.get(0);
        }
        JsonConfigReader r = new JsonConfigReader(value, childPath, resources);
        children.put(key, List.of(r));
        return r;
    }

    @Override
    public ConfigException error(String key, String problem) {
        return new ConfigException(JsonPaths.child(path, key), problem);
    }

    /** Rejects keys present here or in a nested object that nobody asked about. */
    void checkNoUnknownKeys() {
        if (opaque) {
            return;
        }
        List<String> unknown = new ArrayList<>();
        node.fieldNames().forEachRemaining(k -> {
            if (!mentioned.contains(k)) {
                unknown.add(k);
            }
        });
        if (!unknown.isEmpty()) {
            String known = mentioned.isEmpty() ? "this object takes no keys"
                    : "known keys: " + String.join(", ", mentioned);
            String others = unknown.size() == 1 ? ""
                    : " (also unknown: " + unknown.subList(1, unknown.size()).stream()
                            .map(JsonPaths::quote).collect(Collectors.joining(", ")) + ")";
            throw error(unknown.get(0), "unknown key " + JsonPaths.quote(unknown.get(0)) + others + "; " + known);
        }
        for (List<JsonConfigReader> list : children.values()) {
            for (JsonConfigReader c : list) {
                c.checkNoUnknownKeys();
            }
        }
    }
}
