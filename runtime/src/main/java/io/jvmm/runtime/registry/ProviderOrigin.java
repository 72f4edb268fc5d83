package io.jvmm.runtime.registry;

import java.lang.module.ModuleReference;
import java.net.URI;
import java.util.Optional;

/**
 * Where a provider came from, for listings and error messages.
 *
 * @param module module name, or {@code unnamed} for the class path, or a label for explicit registrations
 * @param version module version, or empty
 * @param location the jar or directory, or empty
 * @param apiVersion the version of {@code io.jvmm.api} the module was compiled against (its
 *     descriptor's {@code requires io.jvmm.api}, {@link java.lang.module.ModuleDescriptor.Requires#compiledVersion()}),
 *     or empty where that is unknown
 */
public record ProviderOrigin(String module, String version, String location, String apiVersion) {
    /** The module that plugins compile against. */
    static final String API_MODULE = "io.jvmm.api";

    /** An origin whose api version is unknown. */
    public ProviderOrigin(String module, String version, String location) {
        this(module, version, location, "");
    }

    /** The origin of {@code type}'s module, looked up in its layer. */
    public static ProviderOrigin of(Class<?> type) {
        Module m = type.getModule();
        if (!m.isNamed()) {
            String loc = Optional.ofNullable(type.getProtectionDomain().getCodeSource())
                    .map(cs -> cs.getLocation().toString()).orElse("");
            return new ProviderOrigin("unnamed", "", loc);
        }
        String version = m.getDescriptor() == null ? ""
                : m.getDescriptor().version().map(Object::toString).orElse("");
        String apiVersion = m.getDescriptor() == null ? ""
                : m.getDescriptor().requires().stream()
                        .filter(r -> r.name().equals(API_MODULE))
                        .findFirst()
                        .flatMap(r -> r.compiledVersion().map(Object::toString))
                        .orElse("");
        String location = Optional.ofNullable(m.getLayer())
                .flatMap(l -> l.configuration().findModule(m.getName()))
                .map(r -> r.reference())
                .flatMap(ModuleReference::location)
                .map(URI::toString)
                .orElse("");
        return new ProviderOrigin(m.getName(), version, location, apiVersion);
    }

    /** {@code module@version (location)}, omitting what is unknown. */
    public String describe() {
        StringBuilder sb = new StringBuilder(module);
        if (!version.isEmpty()) {
            sb.append('@').append(version);
        }
        if (!location.isEmpty()) {
            sb.append(" (").append(jarName()).append(')');
        }
        return sb.toString();
    }

    /** The file name of the location, e.g. {@code jvmm-dev-missing-0.1.0.jar}. */
    public String jarName() {
        int slash = location.replaceAll("/+$", "").lastIndexOf('/');
        return slash < 0 ? location : location.substring(slash + 1).replaceAll("/+$", "");
    }
}
