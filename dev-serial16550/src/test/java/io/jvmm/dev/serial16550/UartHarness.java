package io.jvmm.dev.serial16550;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.IoResult;
import io.jvmm.api.handles.Serial16550Handle;
import io.jvmm.api.handles.SerialBase;
import io.jvmm.api.resource.ResolveException;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.api.serial.SerialBackend;
import io.jvmm.testkit.FakeBoard;
import io.jvmm.testkit.FakeBus;
import io.jvmm.testkit.FakeLine;
import io.jvmm.testkit.SerialPipe;
import java.util.Map;

/** A 16550 resolved on a fake board, driven by register name-offsets like a guest driver. */
final class UartHarness {
    final FakeBoard board;
    final ChipsetDevice device;
    final FakeBus bus;
    final int base;

    private UartHarness(FakeBoard board, ChipsetDevice device, int base) {
        this.board = board;
        this.device = device;
        this.bus = board.attach(device);
        this.base = base;
    }

    /** COM1 (0x3F8, IRQ 4) on {@code backend}. */
    static UartHarness com1(SerialBackend backend) {
        return of(new Serial16550Handle(new SerialBase.IoPort(0x3F8), 1, 4,
                io.jvmm.api.handles.DisconnectedSerialHandle.resource(), false), backend, new FakeBoard());
    }

    static UartHarness com1(SerialPipe pipe) {
        return com1(pipe.backend());
    }

    static UartHarness of(Serial16550Handle handle, SerialBackend backend, FakeBoard board) {
        try {
            ChipsetDevice d = new Serial16550Resolver().resolve(handle,
                    board.context("serial-test", Map.of(ResourceKinds.SERIAL_BACKEND, backend)));
            return new UartHarness(board, d, ((SerialBase.IoPort) handle.base()).port());
        } catch (ResolveException e) {
            throw new AssertionError(e);
        }
    }

    int in(int offset) {
        byte[] d = new byte[1];
        assertEquals(IoResult.OK, bus.ioRead(base + offset, d));
        return d[0] & 0xFF;
    }

    void out(int offset, int value) {
        assertEquals(IoResult.OK, bus.ioWrite(base + offset, new byte[] {(byte) value}));
    }

    void poll() {
        device.capabilities().pollDevice().orElseThrow().poll();
    }

    Uart16550 uart() {
        return (Uart16550) device;
    }

    FakeLine line() {
        return board.lines().get(board.lines().size() - 1);
    }

    String readAll() {
        StringBuilder sb = new StringBuilder();
        while ((in(Uart16550.LSR_RST) & Uart16550.LSR_DR) != 0) {
            sb.append((char) in(Uart16550.RBR_THR_DLL));
        }
        return sb.toString();
    }
}
