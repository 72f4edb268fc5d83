package io.jvmm.dev.missing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.IoData;
import io.jvmm.api.device.IoResult;
import io.jvmm.api.device.MmioIntercept;
import io.jvmm.api.device.PortIoIntercept;
import io.jvmm.api.device.SaveRestore;
import io.jvmm.api.device.SavedStateBlob;
import io.jvmm.api.handles.MissingDevHandle;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.testkit.FakeBoard;
import io.jvmm.testkit.FakeBus;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class MissingDevResolverTest {
    private static ChipsetDevice resolve(MissingDevHandle handle, FakeBoard board) {
        ChipsetDevice d = new MissingDevResolver().resolve(handle, board.context("missing"));
        board.attach(d);
        return d;
    }

    @Test
    void claimsEveryRangeOfTheHandle() {
        FakeBoard board = new FakeBoard();
        MissingDevHandle h = new MissingDevHandle()
                .claimPio("pnp", 0x279, 0x279)
                .claimPio("game", 0x200, 0x207)
                .claimMmio("tpm", 0xfed4_0000L, 0xfed4_4fffL);
        ChipsetDevice d = resolve(h, board);
        assertEquals(List.of(FakeBoard.Claim.pio("pnp", 0x279, 0x279), FakeBoard.Claim.pio("game", 0x200, 0x207),
                FakeBoard.Claim.mmio("tpm", 0xfed4_0000L, 0xfed4_4fffL)), board.claims());
        assertTrue(d.capabilities().portIo().isPresent());
        assertTrue(d.capabilities().mmio().isPresent());
        assertFalse(d.capabilities().pollDevice().isPresent());
        assertFalse(d.capabilities().lifecycle().isPresent());
        assertTrue(d.capabilities().savedState().isPresent(), "an empty saved state, see savesAnEmptyStateAndRefusesAnyOther");
    }

    @Test
    void offersOnlyTheCapabilitiesItClaimed() {
        ChipsetDevice pioOnly = resolve(new MissingDevHandle().claimPio("p", 1, 2), new FakeBoard());
        assertTrue(pioOnly.capabilities().portIo().isPresent());
        assertFalse(pioOnly.capabilities().mmio().isPresent());
        ChipsetDevice none = resolve(new MissingDevHandle(), new FakeBoard());
        assertFalse(none.capabilities().portIo().isPresent());
        assertFalse(none.capabilities().mmio().isPresent());
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 4, 8})
    void readsAllOnesAndSwallowsWritesAtEveryWidth(int size) {
        ChipsetDevice d = resolve(new MissingDevHandle().claimPio("p", 0x80, 0x8f).claimMmio("m", 0x1000, 0x1fff),
                new FakeBoard());
        FakeBus pio = FakeBus.of(d);
        FakeBus mmio = FakeBus.of(d);
        long ones = size == 8 ? -1L : (1L << (8 * size)) - 1;
        byte[] data = new byte[size];
        assertSame(IoResult.OK, pio.ioRead(0x80, data));
        assertEquals(ones, IoData.get(data));
        data = new byte[size];
        assertSame(IoResult.OK, mmio.mmioRead(0x1008, data));
        assertEquals(ones, IoData.get(data));

        byte[] write = new byte[size];
        IoData.put(write, 0x0102030405060708L);
        byte[] copy = write.clone();
        assertSame(IoResult.OK, pio.ioWrite(0x81, write));
        assertSame(IoResult.OK, mmio.mmioWrite(0x1000, write));
        assertEquals(IoData.get(copy), IoData.get(write), "writes leave the buffer alone");
        data = new byte[size];
        mmio.mmioRead(0x1000, data);
        assertEquals(ones, IoData.get(data), "a write does not change what is read");
    }

    @Test
    void resolverMetadata() {
        MissingDevResolver r = new MissingDevResolver();
        assertSame(ResourceKinds.CHIPSET_DEVICE, r.kind());
        assertEquals("missing_dev", r.id());
        assertSame(MissingDevHandle.class, r.handleType());
    }

    /** No state, but a saved state anyway (empty), so snapshots can require one of every device. */
    @Test
    void savesAnEmptyStateAndRefusesAnyOther() {
        FakeBoard board = new FakeBoard();
        ChipsetDevice d = resolve(new MissingDevHandle().claimPio("p", 0x80, 0x8F), board);
        SaveRestore s = d.capabilities().savedState().orElseThrow();
        SavedStateBlob blob = s.save();
        assertEquals(new SavedStateBlob("chipset.missing_dev", 1, new byte[0]), blob);
        ChipsetDevice fresh = resolve(new MissingDevHandle().claimPio("p", 0x80, 0x8F), new FakeBoard());
        fresh.capabilities().savedState().orElseThrow().restore(blob);
        byte[] data = new byte[4];
        assertSame(IoResult.OK, fresh.capabilities().portIo().orElseThrow().ioRead(0, 0, data));
        assertEquals(0xFFFF_FFFFL, IoData.get(data), "behaves the same: all-ones");
        assertThrows(IllegalArgumentException.class, () -> s.restore(new SavedStateBlob("chipset.pm", 1, new byte[0])));
        assertThrows(IllegalArgumentException.class, () -> s.restore(new SavedStateBlob("chipset.missing_dev", 2,
                new byte[0])));
        assertThrows(IllegalArgumentException.class, () -> s.restore(new SavedStateBlob("chipset.missing_dev", 1,
                new byte[] {1})));
    }
}
