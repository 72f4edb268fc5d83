package io.jvmm.dev.i8042;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.fail;

import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.IoResult;
import io.jvmm.api.device.LineSets;
import io.jvmm.api.device.PortIoIntercept;
import io.jvmm.api.handles.I8042Handle;
import io.jvmm.api.handles.MultiplexedKeyboardHandle;
import io.jvmm.api.resource.ResolveContext;
import io.jvmm.api.resource.ResolveException;
import io.jvmm.runtime.input.KeyboardDistributor;
import io.jvmm.runtime.input.KeyboardInputResolver;
import io.jvmm.testkit.FakeBoard;
import io.jvmm.testkit.FakeBus;

/**
 * An i8042 resolved through its real resolver, with a fake board and a real keyboard
 * distributor behind {@code keyboard_input:keyboard}, plus register-level helpers.
 */
final class Rig {
    final FakeBoard board = new FakeBoard();
    final KeyboardDistributor keys = new KeyboardDistributor();
    final ChipsetDevice device;
    final FakeBus io;
    private final byte[] one = new byte[1];

    Rig() {
        this("i8042", 0);
    }

    Rig(String name, int elevation) {
        try {
            device = resolve(name, elevation);
        } catch (ResolveException e) {
            throw new AssertionError(e);
        }
        io = board.attach(device);
    }

    ChipsetDevice resolve(String name, int elevation) throws ResolveException {
        ResolveContext context = board.context(name, new KeyboardInputResolver(keys));
        I8042Handle handle = new I8042Handle(new MultiplexedKeyboardHandle(elevation).toResource());
        return new I8042Resolver().resolve(handle, context);
    }

    int status() {
        return read(0x64);
    }

    int data() {
        return read(0x60);
    }

    int read(int port) {
        IoResult r = io.ioRead(port, one);
        assertSame(IoResult.OK, r, "read of port 0x" + Integer.toHexString(port));
        return one[0] & 0xFF;
    }

    void write(int port, int value) {
        one[0] = (byte) value;
        IoResult r = io.ioWrite(port, one);
        assertSame(IoResult.OK, r, "write of port 0x" + Integer.toHexString(port));
    }

    void command(int cmd) {
        write(0x64, cmd);
    }

    void command(int cmd, int data) {
        write(0x64, cmd);
        write(0x60, data);
    }

    /** The level of the keyboard's line, IRQ 1. */
    boolean irq1() {
        return board.line(LineSets.IRQ, 1).level();
    }

    /** The level of the mouse's line, IRQ 12. */
    boolean irq12() {
        return board.line(LineSets.IRQ, 12).level();
    }

    void poll() {
        device.capabilities().pollDevice().orElseThrow().poll();
    }

    boolean outputFull() {
        return (status() & 1) != 0;
    }

    /** Reads the output buffer, which must be full. */
    int readByte() {
        if (!outputFull()) {
            fail("output buffer empty (status 0x" + Integer.toHexString(status()) + ")");
        }
        return data();
    }

    /** Reads bytes until the output buffer is empty; asserts they are {@code expected}. */
    void expectBytes(int... expected) {
        StringBuilder got = new StringBuilder();
        int n = 0;
        while (outputFull() && n < 64) {
            got.append(String.format("%02X ", data()));
            n++;
        }
        StringBuilder want = new StringBuilder();
        for (int e : expected) {
            want.append(String.format("%02X ", e));
        }
        assertEquals(want.toString().trim(), got.toString().trim());
    }

    /** Empties the output buffer and returns how many bytes were discarded. */
    int flush() {
        int n = 0;
        while (outputFull() && n < 64) {
            data();
            n++;
        }
        return n;
    }
}
