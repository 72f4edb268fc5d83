package io.jvmm.dev.virtionet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.PciAddress;
import io.jvmm.api.device.SavedStateBlob;
import io.jvmm.api.net.NetOffload;
import io.jvmm.testkit.FakeBoard;
import io.jvmm.testkit.FakeGuestMemory;
import io.jvmm.testkit.VirtioPciDriver;
import io.jvmm.testkit.VirtioRestoreHarness;
import io.jvmm.testkit.VirtioRestoreHarness.Chain;
import io.jvmm.virtio.VirtioPciDevice;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * virtio-net saved and restored mid-traffic (issue 19), with a backend that is often full (the
 * device holds a transmit chain) and frames spread over several receive buffers (the device holds
 * a frame and the chains it is being placed in): the same seeded traffic straight through and
 * across a save and a restore onto a new backend gives the same used rings, interrupts, memory,
 * frames to the host, and no frame lost or duplicated; the negotiated offloads reach the new
 * backend; another MAC or a backend without a negotiated offload is refused.
 */
class VirtioNetSaveRestoreTest {
    static final int SLOT = 3;
    static final byte[] MAC = {0x52, 0x54, 0, 0x12, 0x34, 0x56};
    static final long FEATURES = VirtioPciDriver.F_VERSION_1 | VirtioPciDriver.F_RING_INDIRECT_DESC | VirtioNet.F_MAC
            | VirtioNet.F_STATUS;

    record Rig(FakeBoard board, VirtioPciDevice device, VirtioNet net, FakeNetBackend backend) {}

    static Rig rig(FakeGuestMemory ram, boolean msix, byte[] mac, Set<NetOffload> offloads) {
        FakeBoard board = new FakeBoard().withGuestMemory(ram);
        if (msix) {
            board.withMessageInterrupts();
        }
        FakeNetBackend backend = new FakeNetBackend(offloads);
        VirtioNet net = new VirtioNet("net0", backend, mac, ram);
        backend.setListener(net.listener(board.waker()));
        return new Rig(board, new VirtioPciDevice("net0", new PciAddress(0, SLOT, 0), net, board), net, backend);
    }

    static Rig rig(FakeGuestMemory ram, boolean msix) {
        return rig(ram, msix, MAC, EnumSet.noneOf(NetOffload.class));
    }

    static Chain chain(Random r, int queue) {
        if (queue == VirtioNet.RECEIVEQ) {
            int n = 1 + r.nextInt(2);
            int[] writable = new int[n];
            for (int i = 0; i < n; i++) {
                writable[i] = VirtioNet.HEADER + r.nextInt(1200);
            }
            return new Chain(List.of(), writable);
        }
        byte[] frame = new byte[VirtioNet.HEADER + 14 + r.nextInt(3000)];
        r.nextBytes(frame);
        java.util.Arrays.fill(frame, 0, VirtioNet.HEADER, (byte) 0);
        int cut = VirtioNet.HEADER + r.nextInt(frame.length - VirtioNet.HEADER);
        return new Chain(List.of(java.util.Arrays.copyOf(frame, cut),
                java.util.Arrays.copyOfRange(frame, cut, frame.length)), new int[0]);
    }

    static byte[] hostFrame(Random r) {
        byte[] f = new byte[VirtioNet.HEADER + 14 + r.nextInt(2500)];
        r.nextBytes(f);
        java.util.Arrays.fill(f, 0, VirtioNet.HEADER, (byte) 0); // no offload flags
        return f;
    }

    static Object[] run(long seed, boolean mergeable, boolean eventIdx, boolean msix, boolean restore) {
        FakeGuestMemory ram = new FakeGuestMemory(VirtioRestoreHarness.MEMORY);
        Rig rig = rig(ram, msix);
        VirtioRestoreHarness h = new VirtioRestoreHarness(ram, rig.board(), rig.device());
        h.start(FEATURES | (mergeable ? VirtioNet.F_MRG_RXBUF : 0) | (eventIdx ? VirtioPciDriver.F_EVENT_IDX : 0),
                msix, 32, 32);
        Random traffic = new Random(seed);
        List<byte[]> sent = new ArrayList<>();
        int before = 50 + traffic.nextInt(300);
        for (int i = 0; i < before; i++) {
            step(h, rig.backend(), traffic);
        }
        h.post(VirtioNet.TRANSMITQ, chain(traffic, VirtioNet.TRANSMITQ)); // posted, not notified
        SavedStateBlob blob = h.save();
        sent.addAll(rig.backend().fromGuest);
        rig.backend().fromGuest.clear();
        if (restore) {
            Rig b = rig(ram, msix);
            b.device().restore(blob);
            b.backend().toGuest.addAll(rig.backend().toGuest); // a persistent TAP keeps its queue
            b.backend().full = rig.backend().full;
            h.switchTo(b.board(), b.device());
            rig = b;
        }
        h.mark("saved");
        h.notifyEveryQueue();
        for (int i = 0; i < 400; i++) {
            step(h, rig.backend(), traffic);
        }
        rig.backend().full = false;
        h.drain(20);
        sent.addAll(rig.backend().fromGuest);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] f : sent) {
            out.writeBytes(f);
            out.write(0xEE);
        }
        h.mark(sent.size() + " frames sent, " + rig.backend().toGuest.size() + " left for the guest");
        return new Object[] {h.log(), h.memoryImage(), out.toByteArray()};
    }

    static void step(VirtioRestoreHarness h, FakeNetBackend backend, Random r) {
        int op = r.nextInt(100);
        if (op < 10) {
            backend.toGuest.add(hostFrame(r));
            backend.listener.readable();
        } else if (op < 14) {
            backend.full = !backend.full;
            if (!backend.full) {
                backend.listener.writable();
            }
        } else {
            h.step(r, VirtioNetSaveRestoreTest::chain);
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
    void restoredNicContinuesExactlyAsTheOriginal(long seed) {
        boolean mergeable = seed % 4 < 2;
        boolean eventIdx = seed % 2 == 0;
        boolean msix = seed % 3 == 0;
        Object[] straight = run(seed, mergeable, eventIdx, msix, false);
        Object[] restored = run(seed, mergeable, eventIdx, msix, true);
        @SuppressWarnings("unchecked")
        List<String> log = (List<String>) straight[0];
        assertTrue(log.stream().filter(l -> l.startsWith("used q0")).count() > 5, "frames reached the guest");
        assertTrue(((byte[]) straight[2]).length > 5000, "frames reached the host");
        assertEquals(log, restored[0]);
        assertArrayEquals((byte[]) straight[1], (byte[]) restored[1], "guest memory");
        assertArrayEquals((byte[]) straight[2], (byte[]) restored[2], "frames to the host");
    }

    @Test
    void aFrameHeldHalfPlacedIsPlacedWholeAfterRestore() {
        FakeGuestMemory ram = new FakeGuestMemory(VirtioRestoreHarness.MEMORY);
        Rig a = rig(ram, false);
        VirtioRestoreHarness h = new VirtioRestoreHarness(ram, a.board(), a.device());
        h.start(FEATURES | VirtioNet.F_MRG_RXBUF, false, 32, 32);
        h.post(VirtioNet.RECEIVEQ, new Chain(List.of(), new int[] {1000}));
        h.notifyDevice(VirtioNet.RECEIVEQ);
        byte[] frame = hostFrame(new Random(1));
        frame = java.util.Arrays.copyOf(frame, 2500);
        a.backend().toGuest.add(frame);
        h.poll();
        assertEquals(1, a.net().heldChains(VirtioNet.RECEIVEQ), "the frame waits for more buffers");
        SavedStateBlob blob = h.save();

        Rig b = rig(ram, false);
        b.device().restore(blob);
        h.switchTo(b.board(), b.device());
        h.post(VirtioNet.RECEIVEQ, new Chain(List.of(), new int[] {1000, 600}));
        h.post(VirtioNet.RECEIVEQ, new Chain(List.of(), new int[] {1000}));
        h.kick(VirtioNet.RECEIVEQ);
        h.poll();
        h.collect();
        List<String> used = h.log().stream().filter(l -> l.startsWith("used")).toList();
        // the held chain popped again and the next one: 1000 + 1500 bytes, used together (§5.1.6.4.2)
        assertEquals(2, used.size(), used.toString());
        assertTrue(used.get(0).contains(" len 1000 ") && used.get(1).contains(" len 1500 "), used.toString());
        byte[] expected = frame.clone();
        expected[VirtioNet.NUM_BUFFERS_OFFSET] = 2; // num_buffers: the frame spans two chains
        java.util.zip.CRC32 first = new java.util.zip.CRC32();
        first.update(expected, 0, 1000);
        java.util.zip.CRC32 second = new java.util.zip.CRC32();
        second.update(expected, 1000, 1500);
        assertTrue(used.get(0).endsWith("crc " + first.getValue()) && used.get(1).endsWith("crc " + second.getValue()),
                "the saved frame, placed whole from its start: " + used);
    }

    @Test
    void negotiatedOffloadsReachTheNewBackendAndOneWithoutThemIsRefused() {
        Set<NetOffload> offloads = EnumSet.of(NetOffload.CSUM, NetOffload.TSO4);
        FakeGuestMemory ram = new FakeGuestMemory(VirtioRestoreHarness.MEMORY);
        Rig a = rig(ram, false, MAC, offloads);
        VirtioRestoreHarness h = new VirtioRestoreHarness(ram, a.board(), a.device());
        h.start(FEATURES | VirtioNet.F_GUEST_CSUM | VirtioNet.F_GUEST_TSO4 | VirtioNet.F_CSUM, false, 32, 32);
        h.poll();
        assertEquals(offloads, a.backend().receiveOffloads);
        SavedStateBlob blob = h.save();

        Rig b = rig(ram, false, MAC, offloads);
        b.device().restore(blob);
        b.device().poll();
        assertEquals(List.of(offloads), b.backend().offloadCalls, "told before the first frame is read");

        VirtioRestoreHarness.assertRefused(rig(ram, false, MAC, EnumSet.noneOf(NetOffload.class)).device(), blob,
                "negotiated features");
        byte[] other = MAC.clone();
        other[5] = 0x57;
        IllegalArgumentException e = VirtioRestoreHarness.assertRefused(rig(ram, false, other, offloads).device(),
                blob, "net0");
        assertTrue(e.getMessage().contains("52:54:00:12:34:57") && e.getMessage().contains("52:54:00:12:34:56"),
                e.getMessage());
    }

    @Test
    void hostileBlobsAreRefusedAndChangeNothing() {
        FakeGuestMemory ram = new FakeGuestMemory(VirtioRestoreHarness.MEMORY);
        Rig a = rig(ram, true);
        VirtioRestoreHarness h = new VirtioRestoreHarness(ram, a.board(), a.device());
        h.start(FEATURES | VirtioNet.F_MRG_RXBUF, true, 32, 32);
        a.backend().toGuest.add(hostFrame(new Random(2)));
        h.post(VirtioNet.RECEIVEQ, new Chain(List.of(), new int[] {100}));
        h.notifyDevice(VirtioNet.RECEIVEQ);
        h.poll(); // a frame held in the state
        SavedStateBlob good = h.save();
        VirtioRestoreHarness.assertHostileBlobsRefused(good, () -> rig(ram, true).device(), 9, 300);
    }
}
