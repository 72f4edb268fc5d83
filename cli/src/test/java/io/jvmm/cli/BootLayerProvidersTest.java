package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.hv.HypervisorProvider;
import io.jvmm.runtime.registry.HypervisorRegistry;
import io.jvmm.runtime.registry.PluginLayer;
import io.jvmm.runtime.registry.RegisteredResolver;
import io.jvmm.runtime.registry.ResolverRegistry;
import java.util.List;
import org.junit.jupiter.api.Test;

class BootLayerProvidersTest {
    private static List<String> ids(ResolverRegistry registry) {
        return registry.resolvers().stream().map(RegisteredResolver::key).sorted().toList();
    }

    private static List<String> names(HypervisorRegistry registry) {
        return registry.providers().stream().map(HypervisorProvider::name).toList();
    }

    @Test
    void theBackgroundLoadGivesWhatALoadOnTheCommandsThreadGives() {
        BootLayerProviders background = BootLayerProviders.startLoading();
        ResolverRegistry direct = ManifestCommand.providers(PluginLayer.none());
        ResolverRegistry loaded = background.resolvers(PluginLayer.none());
        assertFalse(direct.resolvers().isEmpty(), "the test needs the device modules on its path");
        assertEquals(ids(direct), ids(loaded));
        assertEquals(names(HypervisorRegistry.load(ModuleLayer.boot(), List.of())),
                names(background.hypervisors(PluginLayer.none())));
        assertSame(loaded, background.resolvers(PluginLayer.none()), "loaded once, then reused");
    }

    @Test
    void onDemandLoadsOnTheAskingThreadOnce() {
        BootLayerProviders onDemand = BootLayerProviders.onDemand();
        HypervisorRegistry first = onDemand.hypervisors(PluginLayer.none());
        assertTrue(names(first).contains("kvm"), names(first).toString());
        assertSame(first, onDemand.hypervisors(PluginLayer.none()));
    }

    @Test
    void aPluginLayerIsLoadedFromItselfNotFromTheBootLayer() {
        BootLayerProviders background = BootLayerProviders.startLoading();
        PluginLayer other = new PluginLayer(ModuleLayer.empty(), List.of(), List.of());
        assertTrue(background.resolvers(other).resolvers().isEmpty());
        assertTrue(background.hypervisors(other).providers().isEmpty());
        assertFalse(background.resolvers(PluginLayer.none()).resolvers().isEmpty());
    }
}
