package io.jvmm.dev.pm;

import io.jvmm.api.resource.ConfigException;
import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.Resource;
import io.jvmm.api.resource.ResourceKind;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A flat config object backed by a map (numbers as Long, strings as String). */
record MapConfig(Map<String, Object> values) implements ConfigReader {
    @Override
    public String path() {
        return "$.config";
    }

    @Override
    public boolean has(String key) {
        return values.containsKey(key);
    }

    @Override
    public long unsigned(String key, long max) {
        long v = (Long) values.get(key);
        if (v < 0 || v > max) {
            throw error(key, "must be in [0, " + max + "]");
        }
        return v;
    }

    @Override
    public long u64(String key) {
        return (Long) values.get(key);
    }

    @Override
    public boolean bool(String key) {
        return (Boolean) values.get(key);
    }

    @Override
    public String string(String key) {
        return (String) values.get(key);
    }

    @Override
    public <T> Resource<T> resource(String key, ResourceKind<T> kind) {
        throw error(key, "no resources here");
    }

    @Override
    public List<ConfigReader> objects(String key) {
        throw error(key, "no lists here");
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
