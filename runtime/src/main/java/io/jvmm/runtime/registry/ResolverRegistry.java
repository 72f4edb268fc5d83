package io.jvmm.runtime.registry;

import io.jvmm.api.resource.ResolveContext;
import io.jvmm.api.resource.ResolveException;
import io.jvmm.api.resource.Resource;
import io.jvmm.api.resource.ResourceHandle;
import io.jvmm.api.resource.ResourceKind;
import io.jvmm.api.resource.ResourceResolver;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * All resolvers of one VMM, keyed by (kind, id). Built once from {@link java.util.ServiceLoader}
 * over the boot layer and any plugin layers, plus explicit registrations (tests, embedding).
 *
 * <p>One bad provider never breaks the others: a provider that fails to load is listed in
 * {@link #failures()} and skipped; a duplicate (kind, id) is listed there too, and resolving that
 * key fails with a message naming both modules.
 */
public final class ResolverRegistry {
    private final Map<String, RegisteredResolver> byKey;
    private final Map<String, List<RegisteredResolver>> duplicates;
    private final List<ProviderFailure> failures;
    private final List<ProviderFailure> broken;
    private final List<ProviderFailure> shadowed;
    /** What the builder was given, so that {@link Builder#addAll} can start another registry from it. */
    private final Sources sources;

    /** A builder's inputs: its candidates, replacements and recorded failures, in order. */
    private record Sources(List<RegisteredResolver> candidates, List<RegisteredResolver> replacements,
            List<ProviderFailure> failures) {}

    private ResolverRegistry(Map<String, RegisteredResolver> byKey, Map<String, List<RegisteredResolver>> duplicates,
            List<ProviderFailure> failures, List<ProviderFailure> broken, List<ProviderFailure> shadowed,
            Sources sources) {
        this.sources = sources;
        this.byKey = byKey;
        this.duplicates = duplicates;
        this.failures = failures;
        this.broken = broken;
        this.shadowed = shadowed;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Every usable resolver, sorted by key. */
    public List<RegisteredResolver> resolvers() {
        return byKey.values().stream()
                .sorted((a, b) -> a.key().compareTo(b.key()))
                .collect(Collectors.toUnmodifiableList());
    }

    /** Providers that failed to load, broken ones, duplicate keys and ignored plugin duplicates. */
    public List<ProviderFailure> failures() {
        return failures;
    }

    /**
     * Resolvers whose {@code kind()}, {@code id()} or {@code handleType()} returned null or threw
     * (also in {@link #failures()}). Nobody can tell which resource such a resolver was meant to
     * provide, so a command that runs a VM treats them as a configuration error.
     */
    public List<ProviderFailure> broken() {
        return broken;
    }

    /**
     * Plugin resolvers that were ignored because a resolver of the application (the boot layer)
     * has the same (kind, id), the built-in one being used (also in {@link #failures()}): warnings.
     */
    public List<ProviderFailure> shadowed() {
        return shadowed;
    }

    /**
     * If (kind, id) is provided by more than one module and so cannot be used, a message naming
     * them all and the fix ("provided by more than one module: ...; remove ...").
     */
    public Optional<String> duplicateMessage(String kind, String id) {
        List<RegisteredResolver> dup = duplicates.get(kind + ":" + id);
        return dup == null ? Optional.empty() : Optional.of("provided by more than one module: "
                + dup.stream().map(r -> r.origin().describe()).collect(Collectors.joining(" and "))
                + "; remove all but one of them from the module path or plugin directories");
    }

    public Optional<RegisteredResolver> find(String kind, String id) {
        return Optional.ofNullable(byKey.get(kind + ":" + id));
    }

    /** The ids available for {@code kind}, sorted. */
    public List<String> idsOf(String kind) {
        TreeSet<String> ids = new TreeSet<>();
        for (RegisteredResolver r : byKey.values()) {
            if (r.resolver().kind().name().equals(kind)) {
                ids.add(r.resolver().id());
            }
        }
        return List.copyOf(ids);
    }

    /**
     * The resolver for (kind, id), or an exception whose message names the device, the kind, the
     * id and what is available instead (or, for a duplicate, both modules).
     */
    public RegisteredResolver require(String kind, String id, String deviceName) throws ResolveException {
        String key = kind + ":" + id;
        List<RegisteredResolver> dup = duplicates.get(key);
        if (dup != null) {
            throw new ResolveException("device '" + deviceName + "': resource " + key
                    + " is provided by more than one module: " + dup.stream()
                            .map(r -> r.origin().describe()).collect(Collectors.joining(" and "))
                    + "; remove one of them from the module path or plugin directory");
        }
        RegisteredResolver r = byKey.get(key);
        if (r == null) {
            throw new ResolveException(missingMessage(kind, id, deviceName));
        }
        return r;
    }

    /** The message for a missing (kind, id), listing what the kind does offer. */
    public String missingMessage(String kind, String id, String deviceName) {
        List<String> ids = idsOf(kind);
        return "device '" + deviceName + "': no resolver for " + kind + ":" + id
                + (ids.isEmpty() ? " (no resolvers of kind " + kind + " are loaded)"
                        : " (available ids of kind " + kind + ": " + String.join(", ", ids) + ")")
                + "; add the plugin that provides it to the module path or a --plugin-path directory";
    }

    /**
     * Resolves {@code resource} with its registered resolver. Resolver exceptions other than
     * {@link ResolveException} are turned into one, naming the resolver's module.
     */
    public <T> T resolve(Resource<T> resource, ResolveContext context) throws ResolveException {
        RegisteredResolver reg = require(resource.kind().name(), resource.id(), context.deviceName());
        ResourceResolver<?, ?> resolver = reg.resolver();
        if (!resolver.handleType().isInstance(resource.handle())) {
            throw new ResolveException("device '" + context.deviceName() + "': resource " + resource.key()
                    + " carries a " + resource.handle().getClass().getSimpleName() + " but its resolver in "
                    + reg.origin().describe() + " expects a " + resolver.handleType().getSimpleName());
        }
        Object out;
        try {
            out = invoke(resolver, resource.handle(), context);
        } catch (ResolveException e) {
            throw e;
        } catch (RuntimeException | LinkageError e) {
            throw new ResolveException("device '" + context.deviceName() + "': resolver for " + resource.key()
                    + " in " + reg.origin().describe() + " failed: " + ProviderLoader.rootMessage(e), e);
        }
        if (!resource.kind().type().isInstance(out)) {
            throw new ResolveException("device '" + context.deviceName() + "': resolver for " + resource.key()
                    + " in " + reg.origin().describe() + " returned "
                    + (out == null ? "null" : out.getClass().getName()) + ", not a "
                    + resource.kind().type().getSimpleName());
        }
        return resource.kind().type().cast(out);
    }

    @SuppressWarnings("unchecked")
    private static <H extends ResourceHandle> Object invoke(ResourceResolver<H, ?> resolver, ResourceHandle handle,
            ResolveContext context) throws ResolveException {
        return resolver.resolve((H) handle, context);
    }

    /** Collects resolvers; {@link #build()} checks them. */
    public static final class Builder {
        private final List<RegisteredResolver> candidates = new ArrayList<>();
        private final List<RegisteredResolver> replacements = new ArrayList<>();
        private final List<ProviderFailure> failures = new ArrayList<>();

        private Builder() {}

        /** Adds every {@code ResourceResolver} provider visible from {@code layer} (and its parents). */
        @SuppressWarnings("rawtypes")
        public Builder loadFrom(ModuleLayer layer) {
            ProviderLoader.load(ResourceResolver.class, layer,
                    r -> candidates.add(new RegisteredResolver(r, ProviderOrigin.of(r.getClass()))), failures);
            return this;
        }

        /**
         * Adds everything {@code base} was built from (its loaded providers, explicit resolvers,
         * replacements and recorded failures), without scanning a module layer again: many VMs
         * built from one registry share its resolver instances ({@link
         * io.jvmm.runtime.vm.VmLauncher#providers}). The registry built here is the one {@code base}'s
         * builder would give with this builder's additions.
         */
        public Builder addAll(ResolverRegistry base) {
            candidates.addAll(base.sources.candidates());
            replacements.addAll(base.sources.replacements());
            failures.addAll(base.sources.failures());
            return this;
        }

        /** Adds the providers of the boot layer. */
        public Builder loadBootLayer() {
            return loadFrom(ModuleLayer.boot());
        }

        /** Adds a resolver explicitly (tests, embedding). */
        public Builder add(ResourceResolver<?, ?> resolver) {
            candidates.add(new RegisteredResolver(resolver, ProviderOrigin.of(resolver.getClass())));
            return this;
        }

        /**
         * Adds a resolver that takes the place of every other provider of its (kind, id), e.g. a
         * stand-in that checks a host backend's configuration without opening it ({@code jvmm check}).
         */
        public Builder replace(ResourceResolver<?, ?> resolver) {
            replacements.add(new RegisteredResolver(resolver, ProviderOrigin.of(resolver.getClass())));
            return this;
        }

        /** Records a failure found outside this builder (e.g. a plugin jar that is not a module). */
        public Builder addFailure(ProviderFailure failure) {
            failures.add(failure);
            return this;
        }

        public ResolverRegistry build() {
            Map<String, List<RegisteredResolver>> byKeyAll = new LinkedHashMap<>();
            Map<String, ResourceKind<?>> kinds = new LinkedHashMap<>();
            List<ProviderFailure> fails = new ArrayList<>(failures);
            List<ProviderFailure> broken = new ArrayList<>();
            List<ProviderFailure> shadowed = new ArrayList<>();
            java.util.Set<String> replaced = new java.util.HashSet<>();
            replacements.forEach(r -> replaced.add(r.key()));
            List<RegisteredResolver> usable = new ArrayList<>(replacements);
            for (RegisteredResolver r : candidates) {
                // a broken resolver has no key to be replaced by; it stays and is reported
                if (metadataProblem(r.resolver()) != null || !replaced.contains(r.key())) {
                    usable.add(r);
                }
            }
            for (RegisteredResolver r : usable) {
                String problem = metadataProblem(r.resolver());
                if (problem != null) {
                    broken.add(new ProviderFailure("ResourceResolver", r.resolver().getClass().getName() + " in "
                            + r.origin().describe(), problem + "; fix the resolver or remove "
                            + (r.origin().jarName().isEmpty() ? "its module" : r.origin().jarName())));
                    continue;
                }
                ResourceKind<?> kind = r.resolver().kind();
                String key = r.key();
                ResourceKind<?> known = kinds.putIfAbsent(kind.name(), kind);
                if (known != null && !known.type().equals(kind.type())) {
                    fails.add(new ProviderFailure("ResourceResolver", key + " in " + r.origin().describe(),
                            "declares kind " + kind.name() + " resolving to " + kind.type().getName()
                                    + " but that kind resolves to " + known.type().getName()));
                    continue;
                }
                byKeyAll.computeIfAbsent(key, k -> new ArrayList<>()).add(r);
            }
            Map<String, RegisteredResolver> byKey = new LinkedHashMap<>();
            Map<String, List<RegisteredResolver>> dups = new LinkedHashMap<>();
            for (Map.Entry<String, List<RegisteredResolver>> e : byKeyAll.entrySet()) {
                // sorted, so that messages naming several modules do not depend on ServiceLoader's order
                List<RegisteredResolver> all = e.getValue().stream()
                        .sorted(Comparator.comparing(r -> r.origin().describe())).toList();
                List<RegisteredResolver> builtIn = all.stream().filter(r -> !fromPluginLayer(r)).toList();
                if (all.size() == 1) {
                    byKey.put(e.getKey(), all.get(0));
                } else if (builtIn.size() == 1) {
                    // A stray plugin jar must not take away a device jvmm ships (the COM ports): the
                    // application's own resolver wins and each plugin duplicate is a warning.
                    RegisteredResolver kept = builtIn.get(0);
                    byKey.put(e.getKey(), kept);
                    for (RegisteredResolver r : all) {
                        if (r != kept) {
                            shadowed.add(new ProviderFailure("ResourceResolver", e.getKey() + " in "
                                    + r.origin().describe(), "duplicates the built-in " + e.getKey() + " of "
                                    + kept.origin().describe() + ", which is used; this one is ignored: remove "
                                    + (r.origin().jarName().isEmpty() ? r.origin().module() : r.origin().jarName())
                                    + " from the plugin directory, or give its resolver an id of its own"));
                        }
                    }
                } else {
                    dups.put(e.getKey(), List.copyOf(all));
                    fails.add(new ProviderFailure("ResourceResolver", e.getKey(), "provided more than once, by "
                            + all.stream().map(r -> r.origin().describe()).collect(Collectors.joining(" and "))
                            + "; it cannot be used until all but one are removed"));
                }
            }
            fails.addAll(broken);
            fails.addAll(shadowed);
            return new ResolverRegistry(Collections.unmodifiableMap(byKey), dups, List.copyOf(fails),
                    List.copyOf(broken), List.copyOf(shadowed),
                    new Sources(List.copyOf(candidates), List.copyOf(replacements), List.copyOf(failures)));
        }

        /** Loaded from a plugin directory (a child layer), as opposed to the application's boot layer or class path. */
        private static boolean fromPluginLayer(RegisteredResolver r) {
            ModuleLayer layer = r.resolver().getClass().getModule().getLayer();
            return layer != null && layer != ModuleLayer.boot();
        }

        /** What is wrong with a resolver's kind(), id() and handleType(), or null if nothing. */
        private static String metadataProblem(ResourceResolver<?, ?> resolver) {
            String call = "kind()";
            try {
                ResourceKind<?> kind = resolver.kind();
                if (kind == null) {
                    return "kind() returned null";
                }
                call = "id()";
                String id = resolver.id();
                if (id == null) {
                    return "id() returned null";
                }
                if (id.isBlank()) {
                    return "id() returned an empty id";
                }
                call = "handleType()";
                if (resolver.handleType() == null) {
                    return "handleType() returned null";
                }
                return null;
            } catch (RuntimeException | LinkageError e) {
                // the reason the plugin gave, not its exception class: this is shown to users
                return call + " failed: " + ProviderLoader.rootMessage(e);
            }
        }
    }
}
