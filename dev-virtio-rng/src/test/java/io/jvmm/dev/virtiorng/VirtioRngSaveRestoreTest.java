package io.jvmm.dev.virtiorng;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.PciAddress;
import io.jvmm.api.device.SavedStateBlob;
import io.jvmm.testkit.FakeBoard;
import io.jvmm.testkit.FakeGuestMemory;
import io.jvmm.testkit.VirtioPciDriver;
import io.jvmm.testkit.VirtioRestoreHarness;
import io.jvmm.testkit.VirtioRestoreHarness.Chain;
import io.jvmm.virtio.VirtioPciDevice;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * virtio-rng saved and restored mid-traffic (issue 19): the same seeded guest traffic run straight
 * through and across a save and a restore into a fresh device gives the same used rings, bytes,
 * interrupts and memory; hostile blobs are refused and change nothing.
 */
class VirtioRngSaveRestoreTest {
    static final int SLOT = 5;
    static final long FEATURES = VirtioPciDriver.F_VERSION_1 | VirtioPciDriver.F_RING_INDIRECT_DESC;

    /** Its random source can be set to a seed, so the two runs draw the same bytes after the save. */
    record Rig(FakeBoard board, VirtioPciDevice device, Random random) {}

    static Rig rig(FakeGuestMemory ram, boolean msix, long seed) {
        FakeBoard board = new FakeBoard().withGuestMemory(ram);
        if (msix) {
            board.withMessageInterrupts();
        }
        Random random = new Random(seed);
        return new Rig(board, new VirtioPciDevice("rng", new PciAddress(0, SLOT, 0), new VirtioRng(random, ram), board),
                random);
    }

    static Chain chain(Random r, int queue) {
        int n = 1 + r.nextInt(3);
        int[] writable = new int[n];
        for (int i = 0; i < n; i++) {
            writable[i] = 1 + r.nextInt(VirtioRestoreHarness.SLOT);
        }
        return new Chain(List.of(), writable);
    }

    /** The log and memory of one run; with {@code restore} the device is replaced at the save point. */
    static Object[] run(long seed, boolean eventIdx, boolean msix, boolean restore) {
        FakeGuestMemory ram = new FakeGuestMemory(VirtioRestoreHarness.MEMORY);
        Rig a = rig(ram, msix, 1);
        VirtioRestoreHarness h = new VirtioRestoreHarness(ram, a.board(), a.device());
        h.start(FEATURES | (eventIdx ? VirtioPciDriver.F_EVENT_IDX : 0), msix, 16);
        Random traffic = new Random(seed);
        int before = 20 + traffic.nextInt(200);
        for (int i = 0; i < before; i++) {
            h.step(traffic, VirtioRngSaveRestoreTest::chain);
        }
        // mid-traffic: chains posted but not notified
        h.post(0, chain(traffic, 0));
        SavedStateBlob blob = h.save();
        if (restore) {
            Rig b = rig(ram, msix, 99);
            b.device().capabilities().savedState().orElseThrow().restore(blob);
            h.switchTo(b.board(), b.device());
        } else {
            a.random().setSeed(99);
        }
        h.mark("saved");
        h.notifyEveryQueue(); // what the restored device does by itself
        for (int i = 0; i < 300; i++) {
            h.step(traffic, VirtioRngSaveRestoreTest::chain);
        }
        h.drain(10);
        return new Object[] {h.log(), h.memoryImage()};
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
    void restoredDeviceContinuesExactlyAsTheOriginal(long seed) {
        boolean eventIdx = seed % 2 == 0;
        boolean msix = seed % 3 == 0;
        Object[] straight = run(seed, eventIdx, msix, false);
        Object[] restored = run(seed, eventIdx, msix, true);
        @SuppressWarnings("unchecked")
        List<String> log = (List<String>) straight[0];
        assertTrue(log.stream().anyMatch(l -> l.startsWith("used")), "the traffic used buffers");
        assertEquals(log, restored[0]);
        assertArrayEquals((byte[]) straight[1], (byte[]) restored[1]);
    }

    @Test
    void saveIsTheIdentityAfterRestoreAndAfterResetEqualsAFreshDevice() {
        FakeGuestMemory ram = new FakeGuestMemory(VirtioRestoreHarness.MEMORY);
        Rig a = rig(ram, true, 1);
        VirtioRestoreHarness h = new VirtioRestoreHarness(ram, a.board(), a.device());
        h.start(FEATURES | VirtioPciDriver.F_EVENT_IDX, true, 16);
        h.post(0, chain(new Random(1), 0));
        h.kick(0);
        h.poll();
        SavedStateBlob blob = h.save();
        Rig b = rig(ram, true, 2);
        b.device().restore(blob);
        assertEquals(blob, b.device().save(), "restore then save is the identity");
        a.device().reset();
        a.device().commandWritten(0); // what the PCI bus does after a reset
        assertEquals(rig(ram, true, 3).device().save(), a.device().save(), "reset gives the power-on state");
    }

    @Test
    void hostileBlobsAreRefusedAndChangeNothing() {
        FakeGuestMemory ram = new FakeGuestMemory(VirtioRestoreHarness.MEMORY);
        Rig a = rig(ram, true, 1);
        VirtioRestoreHarness h = new VirtioRestoreHarness(ram, a.board(), a.device());
        h.start(FEATURES, true, 16);
        SavedStateBlob good = h.save();
        VirtioRestoreHarness.assertHostileBlobsRefused(good, () -> rig(ram, true, 1).device(), 7, 3000);
        // into a device without MSI-X (a board that delivers none), and a state of another device type
        VirtioRestoreHarness.assertRefused(rig(ram, false, 1).device(), good, "MSI-X");
    }
}
