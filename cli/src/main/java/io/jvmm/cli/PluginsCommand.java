package io.jvmm.cli;

import io.jvmm.api.hv.Availability;
import io.jvmm.api.hv.HypervisorProvider;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.runtime.registry.HypervisorRegistry;
import io.jvmm.runtime.registry.PluginLayer;
import io.jvmm.runtime.registry.ProviderFailure;
import io.jvmm.runtime.registry.ProviderOrigin;
import io.jvmm.runtime.registry.RegisteredResolver;
import io.jvmm.runtime.registry.ResolverRegistry;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;

/** {@code jvmm plugins}: every resolver, hypervisor and failed provider. */
final class PluginsCommand implements Callable<Integer> {
    final PluginOptions plugins = new PluginOptions();

    /** This command's model: its description, its option bound to this instance's field. */
    final CommandSpec spec;

    PluginsCommand() {
        spec = BoundOptions.command(this, "plugins",
                "List resolvers (kind, id, module, version, the io.jvmm.api version it was built against, jar), "
                + "hypervisors and providers that failed to load.");
        plugins.addTo(spec);
        BoundOptions.addStandardHelpOptions(spec);
        spec.usageMessage().sortOptions(true); // as annotated before: -h, --plugin-path, -V
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PluginLayer layer = plugins.load();
        ResolverRegistry registry = ResolverRegistry.builder().loadFrom(layer.layer()).build();
        HypervisorRegistry hypervisors = HypervisorRegistry.load(layer.layer(), List.of());

        out.println("Resolvers (API: the io.jvmm.api version each was built against; this jvmm has "
                + apiVersion() + "):");
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"KIND", "ID", "MODULE", "VERSION", "API", "JAR"});
        for (RegisteredResolver r : registry.resolvers()) {
            ProviderOrigin o = r.origin();
            rows.add(new String[] {r.resolver().kind().name(), r.resolver().id(), o.module(),
                o.version().isEmpty() ? "-" : o.version(), o.apiVersion().isEmpty() ? "-" : o.apiVersion(),
                o.jarName().isEmpty() ? "-" : o.jarName()});
        }
        table(out, rows);

        out.println();
        out.println("Hypervisors:");
        if (hypervisors.providers().isEmpty()) {
            out.println("  (none installed)");
        }
        for (HypervisorProvider p : hypervisors.providers()) {
            Availability a = p.availability();
            out.println("  " + p.name() + "  " + (a.available() ? "available" : "unavailable: " + a.reason()));
        }

        List<ProviderFailure> failures = new ArrayList<>(layer.failures());
        failures.addAll(registry.failures());
        failures.addAll(hypervisors.failures());
        if (!failures.isEmpty()) {
            out.println();
            out.println("Failed providers:");
            for (ProviderFailure f : failures) {
                out.println("  " + f.provider() + ": " + f.reason());
            }
        }
        return 0;
    }

    /** The version of the io.jvmm.api module this jvmm runs with, or "-". */
    private static String apiVersion() {
        return ResourceKinds.class.getModule().getDescriptor() == null ? "-"
                : ResourceKinds.class.getModule().getDescriptor().version().map(Object::toString).orElse("-");
    }

    private static void table(PrintWriter out, List<String[]> rows) {
        int[] w = new int[rows.get(0).length];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                w[i] = Math.max(w[i], r[i].length());
            }
        }
        for (String[] r : rows) {
            StringBuilder sb = new StringBuilder("  ");
            for (int i = 0; i < r.length; i++) {
                sb.append(i == r.length - 1 ? r[i] : String.format("%-" + (w[i] + 2) + "s", r[i]));
            }
            out.println(sb.toString().stripTrailing());
        }
    }
}
