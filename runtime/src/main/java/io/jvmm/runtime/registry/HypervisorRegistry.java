package io.jvmm.runtime.registry;

import io.jvmm.api.hv.Availability;
import io.jvmm.api.hv.HypervisorProvider;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** The hypervisor backends found on the module path and in plugin layers. */
public final class HypervisorRegistry {
    private final Map<String, HypervisorProvider> byName;
    private final List<ProviderFailure> failures;

    private HypervisorRegistry(Map<String, HypervisorProvider> byName, List<ProviderFailure> failures) {
        this.byName = byName;
        this.failures = List.copyOf(failures);
    }

    /** Loads the providers visible from {@code layer}, plus {@code explicit} ones. */
    public static HypervisorRegistry load(ModuleLayer layer, List<HypervisorProvider> explicit) {
        List<HypervisorProvider> all = new ArrayList<>(explicit);
        List<ProviderFailure> failures = new ArrayList<>();
        ProviderLoader.load(HypervisorProvider.class, layer, all::add, failures);
        Map<String, HypervisorProvider> byName = new LinkedHashMap<>();
        for (HypervisorProvider p : all) {
            HypervisorProvider first = byName.putIfAbsent(p.name(), p);
            if (first != null && first.getClass() != p.getClass()) {
                failures.add(new ProviderFailure("HypervisorProvider", p.name(), "provided by both "
                        + ProviderOrigin.of(first.getClass()).describe() + " and "
                        + ProviderOrigin.of(p.getClass()).describe() + "; the first is used"));
            }
        }
        return new HypervisorRegistry(byName, failures);
    }

    public List<HypervisorProvider> providers() {
        return List.copyOf(byName.values());
    }

    public List<ProviderFailure> failures() {
        return failures;
    }

    /**
     * The provider called {@code name}, or with a null name the first available one.
     *
     * @throws IllegalStateException with a message for the user when none can be used
     */
    public HypervisorProvider select(String name) {
        if (byName.isEmpty()) {
            throw new IllegalStateException("no hypervisor backend is installed; put jvmm-hv-kvm on the module path");
        }
        if (name != null) {
            HypervisorProvider p = byName.get(name);
            if (p == null) {
                throw new IllegalStateException("unknown hypervisor '" + name + "' (installed: "
                        + String.join(", ", byName.keySet()) + ")");
            }
            Availability a = p.availability();
            if (!a.available()) {
                throw new IllegalStateException("hypervisor '" + name + "' is not available: " + a.reason());
            }
            return p;
        }
        List<String> reasons = new ArrayList<>();
        for (HypervisorProvider p : byName.values()) {
            Availability a = p.availability();
            if (a.available()) {
                return p;
            }
            reasons.add(p.name() + ": " + a.reason());
        }
        throw new IllegalStateException("no hypervisor is available: " + reasons.stream().collect(Collectors.joining("; ")));
    }
}
