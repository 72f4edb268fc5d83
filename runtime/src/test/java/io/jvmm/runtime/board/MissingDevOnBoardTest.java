package io.jvmm.runtime.board;

import static io.jvmm.runtime.board.TestSupport.bytes;
import static io.jvmm.runtime.board.TestSupport.mmioRead;
import static io.jvmm.runtime.board.TestSupport.pioRead;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.handles.MissingDevHandle;
import io.jvmm.runtime.manifest.ChipsetDeviceHandle;
import io.jvmm.runtime.registry.ResolverRegistry;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The real dev-missing module, found by ServiceLoader on the test module path, on a real board. */
class MissingDevOnBoardTest {
    private static ChipsetBuilder builder(ChipsetDeviceHandle... devices) {
        ResolverRegistry registry = ResolverRegistry.builder().loadBootLayer().build();
        return new ChipsetBuilder(TestSupport.manifest(devices), registry, Set.of(), a -> {}, TestSupport.CLOCK,
                new TestSupport.RecordingTarget());
    }

    @Test
    void claimedRangesReadAllOnesAndShowUpAsRegions() throws Exception {
        MissingDevHandle h = new MissingDevHandle().claimPio("pnp", 0x279, 0x279).claimMmio("tpm", 0xfed4_0000L,
                0xfed4_4fffL);
        try (Chipset c = builder(new ChipsetDeviceHandle("probes", h.toResource())).build()) {
            Board b = c.board();
            assertEquals("probes/pnp:0x279-0x279", b.pioRegionAt(0x279).toString());
            assertEquals("probes/tpm:0xfed40000-0xfed44fff", b.mmioRegionAt(0xfed4_0010L).toString());
            for (int size : new int[] {1, 2, 4}) {
                assertEquals((1L << (8 * size)) - 1, pioRead(b, 0x279, size));
                b.pioWrite(0x279, bytes(size, 0));
            }
            assertEquals(-1L, mmioRead(b, 0xfed4_0000L, 8));
            b.mmioWrite(0xfed4_0000L, bytes(8, 0));
            assertEquals(0xffff_ffffL, mmioRead(b, 0xfed4_0000L, 4));
        }
    }

    @Test
    void twoMissingDevsClaimingTheSamePortConflict() {
        MissingDevHandle a = new MissingDevHandle().claimPio("pnp", 0x279, 0x279);
        MissingDevHandle b = new MissingDevHandle().claimPio("isa", 0x270, 0x27f);
        ChipsetBuildException e = assertThrows(ChipsetBuildException.class, () -> builder(
                new ChipsetDeviceHandle("a", a.toResource()), new ChipsetDeviceHandle("b", b.toResource())).build());
        assertTrue(e.getMessage().contains("static pio intercept region conflict: b/isa:0x270-0x27f conflicts with"
                + " existing a/pnp:0x279-0x279"), e.getMessage());
    }
}
