package io.jvmm.runtime.board;

import io.jvmm.api.resource.ConfigException;
import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.Resource;
import io.jvmm.api.resource.ResourceKind;
import java.util.List;
import java.util.Optional;

/**
 * An empty {@code config} object: how a base-chipset flag's device gets its default handle from
 * its resolver's {@link io.jvmm.api.resource.ResourceResolver#parseHandle}.
 */
final class EmptyConfig implements ConfigReader {
    private final String path;

    EmptyConfig(String path) {
        this.path = path;
    }

    @Override
    public String path() {
        return path;
    }

    @Override
    public boolean has(String key) {
        return false;
    }

    private ConfigException missing(String key) {
        return error(key, "missing (a base-chipset device has no configuration; its resolver must default it)");
    }

    @Override
    public long unsigned(String key, long max) {
        throw missing(key);
    }

    @Override
    public long u64(String key) {
        throw missing(key);
    }

    @Override
    public boolean bool(String key) {
        throw missing(key);
    }

    @Override
    public String string(String key) {
        throw missing(key);
    }

    @Override
    public <T> Resource<T> resource(String key, ResourceKind<T> kind) {
        throw missing(key);
    }

    @Override
    public List<ConfigReader> objects(String key) {
        throw missing(key);
    }

    @Override
    public Optional<ConfigReader> object(String key) {
        return Optional.empty();
    }

    @Override
    public ConfigException error(String key, String problem) {
        return new ConfigException(path + "." + key, problem);
    }
}
