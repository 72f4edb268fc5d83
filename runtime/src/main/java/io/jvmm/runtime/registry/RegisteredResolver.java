package io.jvmm.runtime.registry;

import io.jvmm.api.resource.ResourceResolver;

/** A resolver and where it came from. */
public record RegisteredResolver(ResourceResolver<?, ?> resolver, ProviderOrigin origin) {
    public String key() {
        return resolver.kind().name() + ":" + resolver.id();
    }
}
