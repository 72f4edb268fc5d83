package io.jvmm.dev.i8042;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.IoResult;
import java.util.List;
import io.jvmm.api.device.PortIoIntercept;
import io.jvmm.api.device.LineSets;
import io.jvmm.api.input.KeyEvent;
import io.jvmm.testkit.FakeBoard;
import org.junit.jupiter.api.Test;

/** Status bits, IRQ1/IRQ12 gating by the command byte, the output buffer refill order, access sizes. */
class StatusAndIrqTest {
    private final Rig rig = new Rig();

    @Test
    void powerOnStatus() {
        assertEquals(0x14, rig.status(), "system flag + keyboard not inhibited, nothing else");
        assertFalse(rig.irq1());
        assertFalse(rig.irq12());
    }

    @Test
    void resolverClaimsTheTwoPortsAndLines() {
        assertEquals(2, rig.board.pioClaims().size());
        assertEquals(FakeBoard.Claim.pio("data", 0x60, 0x60), rig.board.pioClaims().get(0));
        assertEquals(FakeBoard.Claim.pio("command", 0x64, 0x64), rig.board.pioClaims().get(1));
        assertEquals("keyboard", rig.board.line(LineSets.IRQ, 1).label());
        assertEquals("aux", rig.board.line(LineSets.IRQ, 12).label());
        assertEquals(2, rig.board.lines().size());
    }

    @Test
    void onlyOneByteAccessesAreAccepted() {
        for (int size : new int[] {2, 4}) {
            for (int port : new int[] {0x60, 0x64}) {
                assertSame(IoResult.INVALID_ACCESS_SIZE, rig.io.ioRead(port, new byte[size]));
                assertSame(IoResult.INVALID_ACCESS_SIZE, rig.io.ioWrite(port, new byte[size]));
            }
        }
        // A 2-byte write of "0xFE" to the command port must not reset.
        assertSame(IoResult.INVALID_ACCESS_SIZE, rig.io.ioWrite(0x64, new byte[] {(byte) 0xFE, 0}));
        assertTrue(rig.board.powerRequests().isEmpty());
        assertEquals(0x14, rig.status(), "rejected accesses change nothing");
    }

    @Test
    void declaresTheDataAndCommandPortsAndRejectsOtherRegions() {
        assertEquals(List.of(FakeBoard.Claim.pio("data", 0x60, 0x60), FakeBoard.Claim.pio("command", 0x64, 0x64)),
                rig.board.claims());
        PortIoIntercept pio = rig.device.capabilities().portIo().orElseThrow();
        assertSame(IoResult.INVALID_REGISTER, pio.ioRead(2, 0, new byte[1]));
        assertSame(IoResult.INVALID_REGISTER, pio.ioWrite(2, 0, new byte[1]));
    }

    @Test
    void keyboardIrqFollowsCommandByteBit0() {
        rig.keys.send(new KeyEvent(0x1E, true));
        rig.poll();
        assertTrue(rig.irq1(), "IRQ1 with 0x47");
        rig.command(0x60, 0x46); // IRQ1 off; the key byte is still buffered
        assertFalse(rig.irq1());
        assertEquals(0x01, rig.status() & 0x01);
        rig.command(0x60, 0x47);
        assertTrue(rig.irq1(), "re-enabling with data buffered raises it again");
        assertEquals(0x1E, rig.data());
        assertFalse(rig.irq1());
    }

    @Test
    void mouseIrqFollowsCommandByteBit1() {
        rig.command(0x60, 0x45);
        rig.command(0xD4, 0xF4);
        assertEquals(0x21, rig.status() & 0x21);
        assertFalse(rig.irq12());
        rig.command(0x60, 0x47);
        assertTrue(rig.irq12());
        assertFalse(rig.irq1(), "mouse data never raises IRQ1");
        assertEquals(0xFA, rig.data());
        assertFalse(rig.irq12());
    }

    @Test
    void mouseBytesAreDeliveredBeforeKeyboardBytes() {
        rig.command(0x60, 0x44); // no IRQs, keep bytes queued
        rig.write(0x60, 0xF2); // keyboard: FA AB 41; FA moves into the buffer at once
        rig.command(0xD4, 0xFF); // mouse: FA AA 00
        assertEquals(0xFA, rig.data(), "keyboard ACK already in the buffer");
        // Now both queues hold bytes: the mouse wins each refill.
        assertEquals(0x21, rig.status() & 0x21);
        assertEquals(0xFA, rig.data());
        assertEquals(0xAA, rig.data());
        assertEquals(0x00, rig.data());
        assertEquals(0x01, rig.status() & 0x21);
        assertEquals(0xAB, rig.data());
        assertEquals(0x41, rig.data());
        assertFalse(rig.outputFull());
    }

    @Test
    void disabledAuxHoldsMouseBytes() {
        rig.command(0xD4, 0xFF); // FA in the buffer (enables aux)
        rig.command(0xA7);
        assertEquals(0xFA, rig.data());
        assertFalse(rig.outputFull(), "AA 00 wait while aux is disabled");
        rig.command(0xA8);
        assertEquals(0xAA, rig.readByte());
        assertEquals(0x00, rig.readByte());
    }

    @Test
    void controllerBytesNeverRaiseAnIrq() {
        rig.command(0x60, 0x47);
        for (int cmd : new int[] {0x20, 0xA1, 0xA4, 0xA9, 0xAA, 0xAB, 0xC0, 0xD0}) {
            rig.command(cmd);
            assertTrue(rig.outputFull());
            assertFalse(rig.irq1(), "command 0x" + Integer.toHexString(cmd));
            assertFalse(rig.irq12(), "command 0x" + Integer.toHexString(cmd));
            rig.data();
        }
    }

    @Test
    void readingAnEmptyBufferReturnsTheLastByte() {
        rig.command(0xAA);
        assertEquals(0x55, rig.data());
        assertEquals(0x55, rig.data());
        assertFalse(rig.outputFull());
    }

    @Test
    void controllerAnswerReplacesABufferedByte() {
        rig.command(0xD2, 0x33);
        rig.command(0xAA);
        assertFalse(rig.irq1(), "the keyboard byte was replaced by a controller byte");
        assertEquals(0x55, rig.data());
    }
}
