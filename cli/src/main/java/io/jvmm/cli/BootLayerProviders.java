package io.jvmm.cli;

import io.jvmm.api.hv.HypervisorProvider;
import io.jvmm.runtime.registry.HypervisorRegistry;
import io.jvmm.runtime.registry.PluginLayer;
import io.jvmm.runtime.registry.ResolverRegistry;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * The resolver and hypervisor providers of the boot layer, which a command that boots a VM needs
 * unless plugins are given. They do not depend on the command line, so {@code jvmm run} and
 * {@code jvmm exec} start loading them on a second thread while picocli builds and parses its model
 * (about 30 ms on the bench host), and lets each hypervisor backend {@linkplain HypervisorProvider#warmUp() warm up}
 * (KVM: JNA's start-up, 16 ms) there too; measured in bench/results/start-host.md. Nothing here
 * opens {@code /dev/kvm} or depends on configuration, so a configuration error still never touches
 * the hypervisor. With plugins the command loads from its plugin layer instead, as before.
 *
 * <p>Each registry is a {@link FutureTask}: whichever thread asks first runs it, the other waits
 * for its result, and a failure (e.g. a broken provider's {@code ServiceConfigurationError}) is
 * rethrown to the caller exactly as a load on the caller's thread would throw it.
 */
final class BootLayerProviders {
    private final FutureTask<ResolverRegistry> resolvers =
            new FutureTask<>(() -> ResolverRegistry.builder().loadFrom(ModuleLayer.boot()).build());
    private final FutureTask<HypervisorRegistry> hypervisors =
            new FutureTask<>(() -> HypervisorRegistry.load(ModuleLayer.boot(), List.of()));

    private BootLayerProviders() {}

    /** Loaded when first asked, on the asking thread (commands that boot nothing, in-process tests). */
    static BootLayerProviders onDemand() {
        return new BootLayerProviders();
    }

    /** Starts loading now, on a daemon thread. */
    static BootLayerProviders startLoading() {
        BootLayerProviders providers = new BootLayerProviders();
        Thread loader = new Thread(providers::load, "jvmm-provider-loader");
        loader.setDaemon(true);
        loader.start();
        return providers;
    }

    private void load() {
        resolvers.run();
        hypervisors.run();
        try {
            hypervisors.get().providers().forEach(HypervisorProvider::warmUp);
        } catch (ExecutionException | InterruptedException | RuntimeException e) {
            // the command's own thread meets the same failure when it asks, and reports it
        }
    }

    /** The resolver providers visible from {@code layer}. */
    ResolverRegistry resolvers(PluginLayer layer) {
        return layer.layer() == ModuleLayer.boot() ? result(resolvers) : ManifestCommand.providers(layer);
    }

    /** The hypervisor providers visible from {@code layer}. */
    HypervisorRegistry hypervisors(PluginLayer layer) {
        return layer.layer() == ModuleLayer.boot() ? result(hypervisors)
                : HypervisorRegistry.load(layer.layer(), List.of());
    }

    private static <T> T result(FutureTask<T> task) {
        task.run(); // returns at once if it ran or is running on the loader thread
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return task.get();
                } catch (InterruptedException e) {
                    interrupted = true; // the result is seconds away at most; keep the interrupt for later
                }
            }
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(e.getCause());
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
