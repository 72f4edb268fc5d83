package io.jvmm.dev.battery;

import io.jvmm.api.resource.ConfigException;
import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.Resource;
import io.jvmm.api.resource.ResourceKind;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A flat config object backed by a map: numbers are Longs, nested resources are Resource values. */
record MapConfig(Map<String, Object> values) implements ConfigReader {
    @Override
    public String path() {
        return "$.config";
    }

    @Override
    public boolean has(String key) {
        return values.containsKey(key);
    }

    private Object get(String key) {
        Object v = values.get(key);
        if (v == null) {
            throw error(key, "missing");
        }
        return v;
    }

    @Override
    public long unsigned(String key, long max) {
        long v = (Long) get(key);
        if (v < 0 || v > max) {
            throw error(key, "out of range 0.." + max);
        }
        return v;
    }

    @Override
    public long u64(String key) {
        return (Long) get(key);
    }

    @Override
    public boolean bool(String key) {
        return (Boolean) get(key);
    }

    @Override
    public String string(String key) {
        return (String) get(key);
    }

    @Override
    public <T> Resource<T> resource(String key, ResourceKind<T> kind) {
        Resource<?> r = (Resource<?>) get(key);
        if (!r.kind().equals(kind)) {
            throw error(key, "expected a " + kind + " resource");
        }
        @SuppressWarnings("unchecked")
        Resource<T> typed = (Resource<T>) r;
        return typed;
    }

    @Override
    public List<ConfigReader> objects(String key) {
        throw error(key, "no lists in this test config");
    }

    @Override
    public Optional<ConfigReader> object(String key) {
        return Optional.empty();
    }

    @Override
    public ConfigException error(String key, String problem) {
        return new ConfigException(path() + "." + key, problem);
    }
}
