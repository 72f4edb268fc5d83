package io.jvmm.testkit;

import io.jvmm.api.resource.ConfigException;
import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.Resource;
import io.jvmm.api.resource.ResourceKind;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A {@link ConfigReader} over a map, for testing {@code parseHandle} without JSON. Values are
 * {@link Number}s or {@code "0x…"} strings for numbers, {@link Boolean}s, {@link String}s,
 * {@link Resource}s for nested resources, maps for nested objects and lists of maps for lists of
 * objects. A missing key or a value of the wrong type is a {@link ConfigException} naming the path.
 *
 * <p>It remembers which keys were read (by a typed getter or as a nested object; {@link #has}
 * alone does not count), so a test can check that {@code parseHandle} used every key it was
 * given: {@link #unreadKeys()} or {@link #assertAllRead()}. The real manifest reader reports such
 * keys to the user as unknown.
 */
public final class MapConfig implements ConfigReader {
    private final String path;
    private final Map<String, ?> values;
    private final Set<String> read = new HashSet<>();
    /** Nested objects handed out, by path (one per path, however often asked for), so their unread keys count too. */
    private final Map<String, MapConfig> nested = new LinkedHashMap<>();

    /**
     * @param path the JSON path of this object, used in error messages
     * @param values the keys and values
     */
    public MapConfig(String path, Map<String, ?> values) {
        this.path = Objects.requireNonNull(path, "path");
        this.values = Map.copyOf(values);
    }

    /** A top-level config object at {@code $.config}. */
    public MapConfig(Map<String, ?> values) {
        this("$.config", values);
    }

    /** The JSON path of this object. */
    public String path() {
        return path;
    }

    /** The keys and values. */
    public Map<String, ?> values() {
        return values;
    }

    /** The JSON paths of keys (nested ones included) that nothing read, sorted. */
    public synchronized List<String> unreadKeys() {
        List<String> out = new ArrayList<>();
        for (String key : values.keySet()) {
            if (!read.contains(key)) {
                out.add(path + "." + key);
            }
        }
        for (MapConfig n : nested.values()) {
            out.addAll(n.unreadKeys());
        }
        out.sort(null);
        return out;
    }

    /**
     * @throws AssertionError naming every key nothing read, as the manifest reader would reject
     *     them ("unknown key")
     */
    public void assertAllRead() {
        List<String> unread = unreadKeys();
        if (!unread.isEmpty()) {
            throw new AssertionError("config keys that were never read: " + String.join(", ", unread));
        }
    }

    @Override
    public String toString() {
        return "MapConfig[" + path + " " + values + "]";
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
        synchronized (this) {
            read.add(key);
            return nested.computeIfAbsent(nestedPath, p -> new MapConfig(p, typed));
        }
    }

    private Object get(String key) {
        synchronized (this) {
            read.add(key);
        }
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
