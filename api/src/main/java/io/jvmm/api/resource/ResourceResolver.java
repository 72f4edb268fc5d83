package io.jvmm.api.resource;

/**
 * The resolver SPI: turns a handle of one (kind, id) into a live object.
 *
 * <p>Plugins declare implementations with {@code provides io.jvmm.api.resource.ResourceResolver
 * with ...} (and, for the class path, in {@code META-INF/services}). A provider class needs a
 * public no-argument constructor or a public static {@code provider()} method. It is created once
 * per registry and must be stateless: everything per-VM comes through the {@link ResolveContext}.
 *
 * @param <H> the handle record this resolver reads
 * @param <T> what it resolves to; equals {@code kind().type()}
 */
public interface ResourceResolver<H extends ResourceHandle, T> {
    /** The kind this resolver produces. */
    ResourceKind<T> kind();

    /** The id within the kind, unique across all loaded resolvers of that kind. */
    String id();

    /** The handle record type. */
    Class<H> handleType();

    /**
     * Reads a handle from a manifest document's {@code config} object. Every key must be read;
     * keys left unread are reported as unknown by the caller.
     */
    H parseHandle(ConfigReader config);

    /** Creates the live object. Failures are {@link ResolveException}s with a message for the user. */
    T resolve(H handle, ResolveContext context) throws ResolveException;
}
