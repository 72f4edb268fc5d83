package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jvmm.runtime.manifest.ManifestJson;
import io.jvmm.runtime.manifest.VmManifest;
import io.jvmm.runtime.registry.PluginLayer;
import io.jvmm.runtime.registry.ResolverRegistry;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A restore's command line may re-attach backends, not change the board: the differences, in words. */
class SnapshotBoardsTest {
    private static VmManifest manifest(String... args) throws Exception {
        List<String> all = new java.util.ArrayList<>(List.of("manifest"));
        all.addAll(List.of(args));
        CliHarness r = CliHarness.run(all.toArray(String[]::new));
        assertEquals(0, r.exitCode(), r.err());
        ResolverRegistry registry = ManifestCommand.registry(PluginLayer.load(List.of()));
        return new ManifestJson().read(r.out(), registry);
    }

    @Test
    void otherBackendsForTheSameDevicesAreNoDifference() throws Exception {
        assertEquals(List.of(), SnapshotBoards.differences(manifest("--serial", "1=file=/tmp/a"),
                manifest("--serial", "1=file=/tmp/b")));
    }

    @Test
    void addedMissingAndChangedDevicesAreNamed() throws Exception {
        VmManifest saved = manifest("--serial", "1=none", "--rng");
        assertEquals(List.of("device virtio-rng (chipset_device:virtio_rng) is missing"),
                SnapshotBoards.differences(saved, manifest("--serial", "1=none")));
        assertEquals(List.of("device virtio-rng (chipset_device:virtio_rng) is not in the snapshot"),
                SnapshotBoards.differences(manifest("--serial", "1=none"), saved));
    }

    @Test
    void chipsetTypeAndBaseDevicesAreCompared() throws Exception {
        List<String> d = SnapshotBoards.differences(manifest(), manifest("--chipset", "hyperv-gen1"));
        assertEquals("chipset hyperv-gen1 instead of the snapshot's unenlightened-linux-direct", d.get(0));
    }
}
