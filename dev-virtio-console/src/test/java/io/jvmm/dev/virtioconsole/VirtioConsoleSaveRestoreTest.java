package io.jvmm.dev.virtioconsole;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.PciAddress;
import io.jvmm.api.device.SavedStateBlob;
import io.jvmm.testkit.FakeBoard;
import io.jvmm.testkit.FakeGuestMemory;
import io.jvmm.testkit.SerialPipe;
import io.jvmm.testkit.VirtioPciDriver;
import io.jvmm.testkit.VirtioRestoreHarness;
import io.jvmm.testkit.VirtioRestoreHarness.Chain;
import io.jvmm.virtio.VirtioPciDevice;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * virtio-console saved and restored mid-traffic (issue 19), with a small host output buffer so
 * that the device often holds a transmit chain half sent: the same seeded traffic straight through
 * and across a save and a restore onto a new backend gives the same used rings, interrupts, memory,
 * and host output (no byte lost or sent twice).
 */
class VirtioConsoleSaveRestoreTest {
    static final int SLOT = 5;
    static final long FEATURES = VirtioPciDriver.F_VERSION_1 | VirtioPciDriver.F_RING_INDIRECT_DESC;
    static final int HOST_BUFFER = 700;

    record Rig(FakeBoard board, VirtioPciDevice device, VirtioConsole console, SerialPipe pipe) {}

    static Rig rig(FakeGuestMemory ram, boolean msix) {
        FakeBoard board = new FakeBoard().withGuestMemory(ram);
        if (msix) {
            board.withMessageInterrupts();
        }
        SerialPipe pipe = new SerialPipe(HOST_BUFFER, true);
        VirtioConsole console = new VirtioConsole(pipe.backend(), ram);
        pipe.backend().setListener(console.listener(board.waker()));
        return new Rig(board, new VirtioPciDevice("console0", new PciAddress(0, SLOT, 0), console, board), console, pipe);
    }

    static Chain chain(Random r, int queue) {
        if (queue == VirtioConsole.RECEIVEQ) {
            return new Chain(List.of(), r.nextBoolean() ? new int[] {1 + r.nextInt(64)}
                    : new int[] {1 + r.nextInt(16), 1 + r.nextInt(64)});
        }
        int n = 1 + r.nextInt(3);
        byte[][] segments = new byte[n][];
        for (int i = 0; i < n; i++) {
            segments[i] = new byte[1 + r.nextInt(300)];
            r.nextBytes(segments[i]);
        }
        return new Chain(List.of(segments), new int[0]);
    }

    /** The guest's log, memory and everything the host read, over one run. */
    static Object[] run(long seed, boolean eventIdx, boolean msix, boolean restore) {
        FakeGuestMemory ram = new FakeGuestMemory(VirtioRestoreHarness.MEMORY);
        Rig rig = rig(ram, msix);
        VirtioRestoreHarness h = new VirtioRestoreHarness(ram, rig.board(), rig.device());
        h.start(FEATURES | (eventIdx ? VirtioPciDriver.F_EVENT_IDX : 0), msix, 16, 16);
        Random traffic = new Random(seed);
        ByteArrayOutputStream input = new ByteArrayOutputStream();
        ByteArrayOutputStream hostRead = new ByteArrayOutputStream();
        int before = 50 + traffic.nextInt(300);
        for (int i = 0; i < before; i++) {
            step(h, rig.pipe(), traffic, input);
        }
        h.post(VirtioConsole.TRANSMITQ, chain(traffic, VirtioConsole.TRANSMITQ)); // posted, not notified
        SavedStateBlob blob = h.save();
        hostRead.writeBytes(rig.pipe().hostOutputBytes()); // the host reads what the old backend took
        rig.pipe().clearTranscript();
        if (restore) {
            Rig b = rig(ram, msix);
            b.device().restore(blob);
            byte[] all = input.toByteArray(); // host input the old device had not taken reaches the new one
            b.pipe().hostWrite(Arrays.copyOfRange(all, all.length - rig.pipe().pendingInput(), all.length));
            h.switchTo(b.board(), b.device());
            rig = b;
        }
        h.mark("saved");
        h.notifyEveryQueue();
        for (int i = 0; i < 400; i++) {
            step(h, rig.pipe(), traffic, input);
        }
        for (int i = 0; i < 50; i++) {
            hostRead.writeBytes(rig.pipe().hostOutputBytes());
            rig.pipe().clearTranscript();
            h.drain(5);
        }
        return new Object[] {h.log(), h.memoryImage(), hostRead.toByteArray()};
    }

    static void step(VirtioRestoreHarness h, SerialPipe pipe, Random r, ByteArrayOutputStream input) {
        int op = r.nextInt(100);
        if (op < 8) {
            byte[] in = new byte[1 + r.nextInt(100)];
            r.nextBytes(in);
            input.writeBytes(in);
            pipe.hostWrite(in);
        } else if (op < 12) {
            pipe.hostOutput(); // the host reads: room in the output buffer again
        } else {
            h.step(r, VirtioConsoleSaveRestoreTest::chain);
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
    void restoredConsoleContinuesExactlyAsTheOriginal(long seed) {
        boolean eventIdx = seed % 2 == 0;
        boolean msix = seed % 3 == 0;
        Object[] straight = run(seed, eventIdx, msix, false);
        Object[] restored = run(seed, eventIdx, msix, true);
        @SuppressWarnings("unchecked")
        List<String> log = (List<String>) straight[0];
        assertTrue(log.stream().filter(l -> l.startsWith("used q0")).count() > 3, "input reached the guest");
        assertTrue(((byte[]) straight[2]).length > 2000, "output reached the host");
        assertEquals(log, restored[0]);
        assertArrayEquals((byte[]) straight[1], (byte[]) restored[1], "guest memory");
        assertArrayEquals((byte[]) straight[2], (byte[]) restored[2], "host output");
    }

    @Test
    void aHalfSentChainIsNotSentTwice() {
        FakeGuestMemory ram = new FakeGuestMemory(VirtioRestoreHarness.MEMORY);
        Rig a = rig(ram, false);
        VirtioRestoreHarness h = new VirtioRestoreHarness(ram, a.board(), a.device());
        h.start(FEATURES, false, 16, 16);
        byte[] text = new byte[HOST_BUFFER + 300];
        new Random(3).nextBytes(text);
        h.post(VirtioConsole.TRANSMITQ, new Chain(List.of(text),
                new int[0]));
        h.notifyDevice(VirtioConsole.TRANSMITQ);
        h.poll();
        assertEquals(1, a.console().heldChains(VirtioConsole.TRANSMITQ), "the backend took only part of it");
        SavedStateBlob blob = h.save();
        byte[] first = a.pipe().hostOutputBytes();
        assertEquals(HOST_BUFFER, first.length);

        Rig b = rig(ram, false);
        b.device().restore(blob);
        h.switchTo(b.board(), b.device());
        h.poll(); // no notification: the restored device looks at every queue
        h.collect();
        byte[] rest = b.pipe().hostOutputBytes();
        byte[] all = Arrays.copyOf(first, first.length + rest.length);
        System.arraycopy(rest, 0, all, first.length, rest.length);
        assertArrayEquals(text, all);
        assertTrue(h.log().contains("used q1 0 len 0 crc 0"), h.log().toString());
    }

    @Test
    void hostileBlobsAreRefusedAndChangeNothing() {
        FakeGuestMemory ram = new FakeGuestMemory(VirtioRestoreHarness.MEMORY);
        Rig a = rig(ram, true);
        VirtioRestoreHarness h = new VirtioRestoreHarness(ram, a.board(), a.device());
        h.start(FEATURES, true, 16, 16);
        SavedStateBlob good = h.save();
        VirtioRestoreHarness.assertHostileBlobsRefused(good, () -> rig(ram, true).device(), 5, 3000);
    }
}
