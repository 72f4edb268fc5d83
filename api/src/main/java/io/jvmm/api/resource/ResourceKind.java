package io.jvmm.api.resource;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A family of interchangeable resources that all resolve to the same type.
 *
 * <p>The name is global: two kinds with the same name must be the same kind. Plugins may declare
 * new kinds; the standard ones are in {@link ResourceKinds}.
 *
 * @param name unique snake_case name, e.g. {@code chipset_device}
 * @param type what a resource of this kind resolves to
 * @param <T> the resolved type
 */
public record ResourceKind<T>(String name, Class<T> type) {
    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_]*");

    public ResourceKind {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(
                    "resource kind name '" + name + "' must be snake_case ([a-z][a-z0-9_]*)");
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
