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
    void savedStateIsEmpty() {
        SavedStateBlob blob = device.capabilities().savedState().orElseThrow().save();
        assertArrayEquals(new byte[0], blob.data());
        device.capabilities().savedState().orElseThrow().restore(blob);
        assertThrows(IllegalArgumentException.class,
                () -> device.capabilities().savedState().orElseThrow().restore(new SavedStateBlob("serial.debugcon", 1, new byte[1])));
    }
}
