package io.jvmm.runtime.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ModulesDepTest {
    /** The Debian 6.1 lines for the sandbox's modules, as depmod writes them. */
    static final String DEBIAN = """
            kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko
            kernel/drivers/virtio/virtio_ring.ko:
            kernel/drivers/virtio/virtio_pci_modern_dev.ko:
            kernel/drivers/virtio/virtio_pci_legacy_dev.ko:
            kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_pci_legacy_dev.ko kernel/drivers/virtio/virtio_pci_modern_dev.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
            kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
            kernel/net/vmw_vsock/vsock.ko:
            kernel/net/vmw_vsock/vmw_vsock_virtio_transport.ko: kernel/net/vmw_vsock/vmw_vsock_virtio_transport_common.ko kernel/net/vmw_vsock/vsock.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
            kernel/net/vmw_vsock/vmw_vsock_virtio_transport_common.ko: kernel/net/vmw_vsock/vsock.ko
            kernel/drivers/char/hw_random/virtio-rng.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
            """;

    private static List<String> names(List<String> paths) {
        return paths.stream().map(ModulesDep::nameOf).toList();
    }

    @Test
    void dependenciesComeFirstLastListedFirstEachOnce() {
        ModulesDep dep = ModulesDep.parse(DEBIAN, "", "modules.dep");
        assertEquals(List.of("virtio_ring", "virtio", "virtio_pci_modern_dev", "virtio_pci_legacy_dev", "virtio_pci",
                "vsock", "vmw_vsock_virtio_transport_common", "vmw_vsock_virtio_transport", "virtio_blk"),
                names(dep.loadOrder(SandboxImage.BASE_MODULES)));
        assertEquals(List.of("kernel/drivers/virtio/virtio_ring.ko", "kernel/drivers/virtio/virtio.ko",
                "kernel/drivers/char/hw_random/virtio-rng.ko"), dep.loadOrder(List.of("virtio-rng")),
                "'-' and '_' name the same module; the result is the module's path");
        assertEquals(List.of("virtio_ring", "virtio", "virtio_rng"), names(dep.loadOrder(List.of("virtio_rng"))));
    }

    @Test
    void builtInModulesAreSkipped() {
        // a kernel with vsock built in: depmod lists neither it nor it as anyone's dependency
        ModulesDep dep = ModulesDep.parse("""
                kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko
                kernel/drivers/virtio/virtio_ring.ko:
                kernel/net/vmw_vsock/vmw_vsock_virtio_transport.ko: kernel/net/vmw_vsock/vmw_vsock_virtio_transport_common.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
                kernel/net/vmw_vsock/vmw_vsock_virtio_transport_common.ko:
                """, "kernel/net/vmw_vsock/vsock.ko\nkernel/drivers/virtio/virtio_mmio.ko\n", "modules.dep");
        assertTrue(dep.isBuiltin("vsock"));
        assertEquals(List.of("virtio_ring", "virtio", "vmw_vsock_virtio_transport_common", "vmw_vsock_virtio_transport"),
                names(dep.loadOrder(List.of("vsock", "virtio_mmio", "vmw_vsock_virtio_transport"))));
    }

    @Test
    void cyclesMissingLinesUnknownModulesAndBadLinesAreClearErrors() {
        ModulesDep cyclic = ModulesDep.parse("a.ko: b.ko\nb.ko: c.ko\nc.ko: a.ko\n", "", "modules.dep");
        IllegalArgumentException cycle = assertThrows(IllegalArgumentException.class,
                () -> cyclic.loadOrder(List.of("a")));
        assertEquals("modules.dep has a dependency cycle: a -> b -> c -> a", cycle.getMessage());

        ModulesDep missing = ModulesDep.parse("kernel/a.ko: kernel/gone.ko\n", "", "modules.dep");
        IllegalArgumentException gone = assertThrows(IllegalArgumentException.class,
                () -> missing.loadOrder(List.of("a")));
        assertTrue(gone.getMessage().contains("a depends on kernel/gone.ko, which has no line of its own"),
                gone.getMessage());

        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> ModulesDep.parse(DEBIAN, "", "modules.dep").loadOrder(List.of("nosuch")));
        assertTrue(unknown.getMessage().contains("nosuch is neither in modules.dep nor built in"), unknown.getMessage());

        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> ModulesDep.parse("a.ko: b.ko\nthis is not a line\n", "", "/x/modules.dep"));
        assertTrue(bad.getMessage().startsWith("/x/modules.dep line 2:"), bad.getMessage());

        assertThrows(IllegalArgumentException.class, () -> ModulesDep.parse("a.ko:\na.ko:\n", "", "modules.dep"),
                "a module listed twice");
        for (String outside : List.of("/lib/modules/x/a.ko:\n", "a.ko: ../../etc/b.ko\n", "a.ko: kernel/README\n")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ModulesDep.parse(outside, "", "modules.dep"), outside);
            assertTrue(e.getMessage().contains("is not a module file relative to the modules directory"),
                    e.getMessage());
        }
    }

    @Test
    void namesLoseDirectoryAndCompressionSuffix() {
        assertEquals("vsock", ModulesDep.nameOf("kernel/net/vmw_vsock/vsock.ko.xz"));
        assertEquals("virtio_rng", ModulesDep.nameOf("virtio-rng.ko.zst"));
        assertEquals("virtio_blk", ModulesDep.nameOf("virtio_blk"));
    }
}
