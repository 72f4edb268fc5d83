package io.jvmm.runtime.manifest;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvmm.api.resource.ConfigException;
import io.jvmm.api.resource.Resource;
import io.jvmm.api.resource.ResourceHandle;
import io.jvmm.api.resource.ResourceKind;
import io.jvmm.api.resource.ResourceResolver;
import io.jvmm.runtime.registry.RegisteredResolver;
import io.jvmm.runtime.registry.ResolverRegistry;
import java.util.Optional;

/**
 * Turns {@code {"kind":…,"id":…,"config":{…}}} into a typed resource, with the registered
 * resolver's {@link ResourceResolver#parseHandle}; without a resolver the config is kept as an
 * {@link UnresolvedHandle}.
 */
final class HandleParser {
    private final ResolverRegistry registry;

    HandleParser(ResolverRegistry registry) {
        this.registry = registry;
    }

    /** Parses a resource entry whose kind is fixed by where it appears. */
    <T> Resource<T> parse(JsonConfigReader entry, ResourceKind<T> kind) {
        JsonNode kindNode = entry.raw("kind");
        if (kindNode == null) {
            throw entry.error("kind", "required key is missing (expected \"" + kind.name() + "\")");
        }
        if (!kindNode.isTextual() || !kindNode.textValue().equals(kind.name())) {
            throw entry.error("kind", "expected \"" + kind.name() + "\", got " + JsonPaths.describe(kindNode));
        }
        String id = entry.string("id");
        if (id.isBlank()) {
            throw entry.error("id", "must not be empty");
        }
        // "config" may be left out when it would be empty.
        JsonConfigReader config = entry.optionalObject("config").orElseGet(() ->
                new JsonConfigReader(entry.node().objectNode(), entry.path() + ".config", this));

        Optional<RegisteredResolver> found = registry.find(kind.name(), id);
        Resource<T> resource;
        if (found.isEmpty()) {
            config.markOpaque();
            resource = Resource.of(kind, id, new UnresolvedHandle(OpaqueJsonCodec.ofObject(config.node())));
        } else {
            resource = Resource.of(kind, id, parseWith(found.get(), kind, id, config));
        }
        entry.checkNoUnknownKeys();
        return resource;
    }

    private static ResourceHandle parseWith(RegisteredResolver registered, ResourceKind<?> kind, String id,
            JsonConfigReader config) {
        ResourceResolver<?, ?> resolver = registered.resolver();
        String key = kind.name() + ":" + id;
        if (!resolver.kind().equals(kind)) {
            throw new ConfigException(config.path(), "the resolver for " + key + " in "
                    + registered.origin().describe() + " produces " + resolver.kind().type().getName()
                    + ", not the expected " + kind.type().getName());
        }
        ResourceHandle handle;
        try {
            handle = resolver.parseHandle(config);
        } catch (ConfigException e) {
            throw e;
        } catch (RuntimeException e) {
            // Handle constructors validate too (e.g. a register width the device cannot do).
            throw new ConfigException(config.path(), "invalid config for " + key + ": "
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
        }
        if (!resolver.handleType().isInstance(handle)) {
            throw new ConfigException(config.path(), "the resolver for " + key + " in "
                    + registered.origin().describe() + " returned "
                    + (handle == null ? "null" : handle.getClass().getName())
                    + " instead of a " + resolver.handleType().getName());
        }
        return handle;
    }
}
