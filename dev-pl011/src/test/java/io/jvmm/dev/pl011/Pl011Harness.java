package io.jvmm.dev.pl011;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.IoData;
import io.jvmm.api.device.IoResult;
import io.jvmm.api.device.MmioIntercept;
import io.jvmm.api.handles.DisconnectedSerialHandle;
import io.jvmm.api.handles.Pl011Handle;
import io.jvmm.api.resource.ResolveException;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.api.serial.SerialBackend;
import io.jvmm.testkit.FakeBoard;
import io.jvmm.testkit.FakeBus;
import io.jvmm.testkit.FakeLine;
import io.jvmm.testkit.SerialPipe;
import java.util.Map;

/** A PL011 resolved on a fake board, driven with 32-bit accesses like a guest driver. */
final class Pl011Harness {
    static final long BASE = Pl011Handle.COM1_BASE;
    static final int IRQ = 1;

    final FakeBoard board;
    final ChipsetDevice device;
    final FakeBus mmio;
    final long base;

    private Pl011Harness(FakeBoard board, ChipsetDevice device, long base) {
        this.board = board;
        this.device = device;
        this.mmio = board.attach(device);
        this.base = base;
    }

    static Pl011Harness on(SerialBackend backend) {
        return of(BASE, backend, new FakeBoard());
    }

    static Pl011Harness on(SerialPipe pipe) {
        return on(pipe.backend());
    }

    static Pl011Harness of(long base, SerialBackend backend, FakeBoard board) {
        try {
            ChipsetDevice d = new Pl011Resolver().resolve(
                    new Pl011Handle(base, IRQ, DisconnectedSerialHandle.resource()),
                    board.context("pl011-test", Map.of(ResourceKinds.SERIAL_BACKEND, backend)));
            return new Pl011Harness(board, d, base);
        } catch (ResolveException e) {
            throw new AssertionError(e);
        }
    }

    /** A 32-bit read (readl) that must succeed. */
    int r(int offset) {
        byte[] d = new byte[4];
        assertEquals(IoResult.OK, mmio.mmioRead(base + offset, d), "read 0x" + Integer.toHexString(offset));
        return (int) IoData.get(d);
    }

    /** A 32-bit write (writel) that must succeed. */
    void w(int offset, int value) {
        byte[] d = new byte[4];
        IoData.put(d, value);
        assertEquals(IoResult.OK, mmio.mmioWrite(base + offset, d), "write 0x" + Integer.toHexString(offset));
    }

    IoResult read(int offset, int width) {
        return mmio.mmioRead(base + offset, new byte[width]);
    }

    IoResult write(int offset, long value, int width) {
        byte[] d = new byte[width];
        IoData.put(d, value);
        return mmio.mmioWrite(base + offset, d);
    }

    void poll() {
        device.capabilities().pollDevice().orElseThrow().poll();
    }

    Pl011Uart uart() {
        return (Pl011Uart) device;
    }

    FakeLine line() {
        return board.lines().get(board.lines().size() - 1);
    }

    /** Reads while FR says the RX FIFO holds data. */
    String readAll() {
        StringBuilder sb = new StringBuilder();
        while ((r(Pl011Registers.FR) & Pl011Registers.FR_RXFE) == 0) {
            sb.append((char) (r(Pl011Registers.DR) & 0xFF));
        }
        return sb.toString();
    }
}
