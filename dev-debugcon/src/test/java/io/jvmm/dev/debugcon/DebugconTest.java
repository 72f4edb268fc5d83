package io.jvmm.dev.debugcon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.IoResult;
import io.jvmm.api.device.PortIoIntercept;
import io.jvmm.api.device.SavedStateBlob;
import io.jvmm.api.handles.DebugconHandle;
import io.jvmm.api.handles.DisconnectedSerialHandle;
import io.jvmm.api.support.StateFormat;
import io.jvmm.api.resource.ResolveException;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.testkit.FakeBoard;
import io.jvmm.testkit.FakeBus;
import io.jvmm.testkit.SerialPipe;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DebugconTest {
    private final FakeBoard board = new FakeBoard();
    private final SerialPipe pipe = new SerialPipe(8, true);
    private final ChipsetDevice device;
    private final FakeBus io;

    DebugconTest() throws ResolveException {
        device = new DebugconResolver().resolve(new DebugconHandle(0xE9, DisconnectedSerialHandle.resource()),
                board.context("debugcon-0xe9", Map.of(ResourceKinds.SERIAL_BACKEND, pipe.backend())));
        io = board.attach(device);
    }

    private void write(String s) {
        for (char c : s.toCharArray()) {
            assertEquals(IoResult.OK, io.ioWrite(0xE9, new byte[] {(byte) c}));
        }
    }

    private void poll() {
        device.capabilities().pollDevice().orElseThrow().poll();
    }

    @Test
    void claimsOnePortAndNoLine() {
        assertEquals(List.of(FakeBoard.Claim.pio("debugcon", 0xE9, 0xE9)), board.claims());
        assertTrue(board.lines().isEmpty(), "no interrupt");
        assertTrue(device.capabilities().mmio().isEmpty());
    }

    @Test
    void readsReturnTheBochsDetectionValue() {
        byte[] b = new byte[1];
        assertEquals(IoResult.OK, io.ioRead(0xE9, b));
        assertEquals((byte) 0xE9, b[0]);
    }

    @Test
    void onlyByteAccessesAtThePort() {
        byte[] two = new byte[2];
        assertEquals(IoResult.INVALID_ACCESS_SIZE, io.ioRead(0xE9, two));
        assertEquals(IoResult.INVALID_ACCESS_SIZE, io.ioWrite(0xE9, new byte[4]));
        assertThrows(AssertionError.class, () -> io.ioRead(0xEA, new byte[1]), "0xea is not declared: never routed here");
        poll();
        assertEquals("", pipe.hostOutput(), "rejected writes are not output");
    }

    @Test
    void writesReachTheBackendInOrderThroughPoll() {
        int wakes = board.waker().wakes();
        write("hello, debugcon\n");
        assertTrue(board.waker().wakes() > wakes);
        assertEquals("", pipe.hostOutput(), "nothing leaves before the poll");
        poll();
        assertEquals("hello, d", pipe.hostOutput(), "the backend took what it had room for");
        poll();
        poll();
        assertEquals("hello, debugcon\n", pipe.hostOutput());
    }

    @Test
    void overflowIsDroppedAndCounted() {
        DebugconDevice d = (DebugconDevice) device;
        for (int i = 0; i < DebugconDevice.BUFFER_SIZE + 100; i++) {
            io.ioWrite(0xE9, new byte[] {'x'});
        }
        assertEquals(DebugconDevice.BUFFER_SIZE, d.buffered(), "bounded");
        assertEquals(100, d.dropped());
    }

    @Test
    void resetClearsTheBuffer() {
        write("lost");
        device.capabilities().lifecycle().orElseThrow().reset();
        poll();
        assertEquals("", pipe.hostOutput());
        write("kept");
        poll();
        assertEquals("kept", pipe.hostOutput());
    }

    @Test
    void savedStateIsThePendingOutput() throws ResolveException {
        SavedStateBlob empty = device.capabilities().savedState().orElseThrow().save();
        assertEquals("serial.debugcon", empty.format());
        assertEquals(2, empty.version(), "version 2: the pending output, in the shared StateFormat encoding");
        write("hello, debugcon\n");
        poll(); // the pipe takes 8 bytes
        SavedStateBlob blob = device.capabilities().savedState().orElseThrow().save();

        FakeBoard other = new FakeBoard();
        SerialPipe otherPipe = new SerialPipe(64, true);
        ChipsetDevice copy = new DebugconResolver().resolve(new DebugconHandle(0xE9, DisconnectedSerialHandle.resource()),
                other.context("debugcon-0xe9", Map.of(ResourceKinds.SERIAL_BACKEND, otherPipe.backend())));
        copy.capabilities().savedState().orElseThrow().restore(blob);
        assertEquals(blob, copy.capabilities().savedState().orElseThrow().save());
        assertTrue(other.waker().wakes() > 0, "restored output asks for a poll");
        copy.capabilities().pollDevice().orElseThrow().poll();
        assertEquals("ebugcon\n", otherPipe.hostOutput(), "what the first backend had not taken");

        device.capabilities().lifecycle().orElseThrow().reset();
        assertEquals(empty, device.capabilities().savedState().orElseThrow().save(), "reset = power-on");
    }

    @Test
    void badBlobsAreRejectedAndChangeNothing() {
        write("abc");
        var s = device.capabilities().savedState().orElseThrow();
        SavedStateBlob good = s.save();
        assertThrows(IllegalArgumentException.class, () -> s.restore(new SavedStateBlob("serial.debugcon", 1, new byte[0])),
                "version 1 (nothing saved) is refused");
        assertThrows(IllegalArgumentException.class, () -> s.restore(new SavedStateBlob("serial.debugcon", 3, good.data())));
        assertThrows(IllegalArgumentException.class, () -> s.restore(new SavedStateBlob("serial.pl011", 2, good.data())));
        assertThrows(IllegalArgumentException.class, () -> s.restore(new SavedStateBlob("serial.debugcon", 2,
                java.util.Arrays.copyOf(good.data(), good.data().length - 1))));
        record Raw(int n) {}
        SavedStateBlob tooLong = StateFormat.<Raw>of("serial.debugcon", 2,
                (r, out) -> out.bytes("pending", new byte[r.n()]), in -> null).save(new Raw(DebugconDevice.BUFFER_SIZE + 1));
        assertThrows(IllegalArgumentException.class, () -> s.restore(tooLong));
        assertEquals(good, s.save());
    }

    /** Random writes, polls and host reads; save; restore into a fresh device; identical output after. */
    @Test
    void randomTrafficThenRestoreIntoAFreshDeviceBehavesIdentically() throws ResolveException {
        for (int seed = 0; seed < 200; seed++) {
            java.util.Random setup = new java.util.Random(seed);
            Twin a = new Twin();
            for (int i = setup.nextInt(200); i > 0; i--) {
                a.step(setup);
            }
            a.pipe.hostOutput();
            a.pipe.clearTranscript();
            SavedStateBlob blob = a.device.capabilities().savedState().orElseThrow().save();
            Twin b = new Twin();
            b.device.capabilities().savedState().orElseThrow().restore(blob);
            long next = setup.nextLong();
            java.util.Random ra = new java.util.Random(next);
            java.util.Random rb = new java.util.Random(next);
            for (int i = 0; i < 150; i++) {
                String sa = a.step(ra);
                assertEquals(sa, b.step(rb), "seed " + seed + " step " + i);
                assertEquals(a.device.capabilities().savedState().orElseThrow().save(),
                        b.device.capabilities().savedState().orElseThrow().save(), "seed " + seed + " step " + i);
            }
        }
    }

    private static final class Twin {
        final SerialPipe pipe = new SerialPipe(16, true);
        final FakeBoard board = new FakeBoard();
        final ChipsetDevice device;
        final FakeBus io;

        Twin() throws ResolveException {
            device = new DebugconResolver().resolve(new DebugconHandle(0xE9, DisconnectedSerialHandle.resource()),
                    board.context("debugcon", Map.of(ResourceKinds.SERIAL_BACKEND, pipe.backend())));
            io = board.attach(device);
        }

        String step(java.util.Random r) {
            switch (r.nextInt(4)) {
                case 0, 1 -> {
                    byte[] d = new byte[1 + (r.nextInt(8) == 0 ? 1 : 0)];
                    r.nextBytes(d);
                    return "write " + io.ioWrite(0xE9, d);
                }
                case 2 -> {
                    device.capabilities().pollDevice().orElseThrow().poll();
                    return "poll";
                }
                default -> {
                    return "host reads " + pipe.hostOutput();
                }
            }
        }
    }
}
