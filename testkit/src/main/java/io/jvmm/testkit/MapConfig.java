package io.jvmm.testkit;

import io.jvmm.api.resource.ConfigException;
import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.Resource;
import io.jvmm.api.resource.ResourceKind;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A {@link ConfigReader} over a map, for testing {@code parseHandle} without JSON. Values are
 * {@link Number}s or {@code "0x…"} strings for numbers, {@link Boolean}s, {@link String}s,
 * {@link Resource}s for nested resources, maps for nested objects and lists of maps for lists of
 * objects. A missing key or a value of the wrong type is a {@link ConfigException} naming the path.
 *
 * @param path the JSON path of this object, used in error messages
 * @param values the keys and values
 */
public record MapConfig(String path, Map<String, ?> values) implements ConfigReader {
    public MapConfig {
        values = Map.copyOf(values);
    }

    /** A top-level config object at {@code $.config}. */
    public MapConfig(Map<String, ?> values) {
        this("$.config", values);
    }

    @Override
    public boolean has(String key) {
        return values.containsKey(key);
    }

    @Override
    public long unsigned(String key, long max) {
        long v = u64(key);
        if (v < 0 || v > max) {
            throw error(key, "must be in [0, " + max + "], not " + Long.toUnsignedString(v));
        }
        return v;
    }

    @Override
    public long u64(String key) {
        Object v = get(key);
        if (v instanceof Number n) {
            return n.longValue();
        }
        if (v instanceof String s && (s.startsWith("0x") || s.startsWith("0X"))) {
            try {
                return Long.parseUnsignedLong(s.substring(2), 16);
            } catch (NumberFormatException e) {
                throw error(key, "'" + s + "' is no hexadecimal number");
            }
        }
        throw error(key, "expected a number, not " + v);
    }

    @Override
    public boolean bool(String key) {
        return typed(key, Boolean.class, "a boolean");
    }

    @Override
    public String string(String key) {
        return typed(key, String.class, "a string");
    }

    @Override
    public <T> Resource<T> resource(String key, ResourceKind<T> kind) {
        Resource<?> r = typed(key, Resource.class, "a resource");
        if (!r.kind().equals(kind)) {
            throw error(key, "expected a " + kind + " resource, not " + r.key());
        }
        @SuppressWarnings("unchecked")
        Resource<T> typed = (Resource<T>) r;
        return typed;
    }

    @Override
    public List<ConfigReader> objects(String key) {
        List<?> list = typed(key, List.class, "a list of objects");
        List<ConfigReader> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            out.add(nested(path + "." + key + "[" + i + "]", list.get(i), key));
        }
        return out;
    }

    @Override
    public Optional<ConfigReader> object(String key) {
        return has(key) ? Optional.of(nested(path + "." + key, values.get(key), key)) : Optional.empty();
    }

    @Override
    public ConfigException error(String key, String problem) {
        return new ConfigException(path + "." + key, problem);
    }

    private ConfigReader nested(String nestedPath, Object value, String key) {
        if (!(value instanceof Map<?, ?> map)) {
            throw error(key, "expected an object, not " + value);
        }
        @SuppressWarnings("unchecked")
        Map<String, ?> typed = (Map<String, ?>) map;
        return new MapConfig(nestedPath, typed);
    }

    private Object get(String key) {
        Object v = values.get(key);
        if (v == null) {
            throw error(key, "missing");
        }
        return v;
    }

    private <V> V typed(String key, Class<V> type, String what) {
        Object v = get(key);
        if (!type.isInstance(v)) {
            throw error(key, "expected " + what + ", not " + v);
        }
        return type.cast(v);
    }
}
