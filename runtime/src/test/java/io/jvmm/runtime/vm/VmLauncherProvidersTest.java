package io.jvmm.runtime.vm;

import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.runtime.input.KeyboardDistributor;
import io.jvmm.runtime.input.KeyboardInputResolver;
import io.jvmm.runtime.registry.ResolverRegistry;
import org.junit.jupiter.api.Test;

class VmLauncherProvidersTest {
    /**
     * A registry that already holds the per-VM keyboard resolver (one made to check a manifest) is
     * refused with the fix named; before, it was taken and every board then failed with a misleading
     * "provided by more than one module".
     */
    @Test
    void providersWithThePerVmKeyboardResolverAreRefusedNamingTheFix() {
        ResolverRegistry checking = ResolverRegistry.builder()
                .add(new KeyboardInputResolver(new KeyboardDistributor())).build();
        VmLauncher launcher = new VmLauncher(ModuleLayer.boot());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> launcher.providers(checking));
        assertTrue(e.getMessage().contains("keyboard_input:") && e.getMessage().contains("loadFrom(layer)"),
                e.getMessage());
    }

    @Test
    void theModuleLayersProvidersAreTaken() {
        VmLauncher launcher = new VmLauncher(ModuleLayer.boot());
        assertSame(launcher, launcher.providers(ResolverRegistry.builder().build()));
    }
}
