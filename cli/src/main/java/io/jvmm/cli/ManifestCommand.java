package io.jvmm.cli;

import io.jvmm.runtime.input.KeyboardDistributor;
import io.jvmm.runtime.input.KeyboardInputResolver;
import io.jvmm.runtime.manifest.ManifestJson;
import io.jvmm.runtime.manifest.VmManifest;
import io.jvmm.runtime.registry.PluginLayer;
import io.jvmm.runtime.registry.ResolverRegistry;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;

/** {@code jvmm manifest}: prints the manifest document {@code run} would use. */
final class ManifestCommand implements Callable<Integer> {
    final VmOptions vm = new VmOptions();

    final PluginOptions plugins = new PluginOptions();

    /** This command's model: its description, its options bound to this instance's fields. */
    final CommandSpec spec;

    ManifestCommand() {
        spec = BoundOptions.command(this, "manifest",
                "Print the manifest document that 'jvmm run' would use with the same options.");
        vm.addTo(spec);
        plugins.addTo(spec);
        BoundOptions.addStandardHelpOptions(spec);
    }

    @Override
    public Integer call() {
        PluginLayer layer = plugins.load();
        VmManifest manifest = vm.manifest(registry(layer), given(spec, "--chipset"), given(spec, "--arch"));
        spec.commandLine().getOut().print(new ManifestJson().write(manifest));
        spec.commandLine().getOut().flush();
        return 0;
    }

    /** The resolvers that can read manifest documents (the keyboard one is per VM, so add a reader). */
    static ResolverRegistry registry(PluginLayer layer) {
        return registry(providers(layer));
    }

    /** What the layer's modules provide, loaded once; a launcher builds its boards from the same. */
    static ResolverRegistry providers(PluginLayer layer) {
        return ResolverRegistry.builder().loadFrom(layer.layer()).build();
    }

    /** {@code providers} and the per-VM platform resolvers a manifest may name (the host keyboard). */
    static ResolverRegistry registry(ResolverRegistry providers) {
        return ResolverRegistry.builder().addAll(providers)
                .add(new KeyboardInputResolver(new KeyboardDistributor())).build();
    }

    static boolean given(CommandSpec spec, String option) {
        return spec.commandLine().getParseResult() != null
                && spec.commandLine().getParseResult().hasMatchedOption(option);
    }
}
