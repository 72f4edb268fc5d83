package io.jvmm.api.resource;

import java.util.Objects;

/**
 * A typed, immutable request for a resource of kind {@code kind}: "resolve {@code handle} with the
 * resolver registered as {@code id}".
 *
 * @param kind the kind; fixes what the resource resolves to
 * @param id the resolver id within the kind, e.g. {@code serial_16550}
 * @param handle the immutable description the resolver receives
 * @param <T> the resolved type
 */
public record Resource<T>(ResourceKind<T> kind, String id, ResourceHandle handle) {
    public Resource {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(handle, "handle");
        if (id.isBlank()) {
            throw new IllegalArgumentException("resource id must not be blank");
        }
    }

    public static <T> Resource<T> of(ResourceKind<T> kind, String id, ResourceHandle handle) {
        return new Resource<>(kind, id, handle);
    }

    /** {@code kind:id}, the key a resolver is registered under. */
    public String key() {
        return kind.name() + ":" + id;
    }

    @Override
    public String toString() {
        return key();
    }
}
