package io.jvmm.dev.serial16550;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.testkit.FakeBus;
import io.jvmm.testkit.SerialPipe;
import org.junit.jupiter.api.Test;

/** Register-level conformance, per register and bit. */
class Uart16550RegisterTest {
    static final int THR = 0, RBR = 0, DLL = 0, IER = 1, DLM = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5,
            RST = 5, MSR = 6, SCR = 7;

    private final SerialPipe pipe = new SerialPipe();
    private final UartHarness u = UartHarness.com1(pipe);

    @Test
    void powerOnValuesWithConnectedBackend() {
        assertEquals(0x00, u.in(IER));
        assertEquals(0x01, u.in(IIR));
        assertEquals(0x00, u.in(LCR));
        assertEquals(0x00, u.in(MCR));
        assertEquals(0x60, u.in(LSR), "idle LSR: THRE and TEMT");
        assertEquals(0xBB, u.in(MSR), "connected: CTS DSR DCD plus their deltas");
        assertEquals(0xB0, u.in(MSR), "reading MSR clears the deltas");
        assertEquals(0xFF, u.in(SCR));
        assertEquals(0x00, u.in(RBR), "empty RBR reads 0");
        assertFalse(u.line().level());
    }

    @Test
    void powerOnMsrWithDisconnectedBackend() {
        UartHarness d = UartHarness.com1(new SerialPipe(16, false));
        assertEquals(0x00, d.in(MSR));
        d.poll();
        assertEquals(0x00, d.in(MSR), "a disconnected backend never shows a change");
    }

    @Test
    void dlabSwitchesOffsetsZeroAndOneToTheDivisor() {
        u.out(IER, 0x05);
        u.out(LCR, 0x83);
        u.out(DLL, 0x0C);
        u.out(DLM, 0x01);
        assertEquals(0x0C, u.in(DLL));
        assertEquals(0x01, u.in(DLM));
        assertEquals(0x83, u.in(LCR));
        u.poll();
        assertEquals("", pipe.hostOutput(), "a DLL write is not transmitted");
        u.out(LCR, 0x03);
        assertEquals(0x05, u.in(IER), "IER kept while DLAB was set");
        assertEquals(0x00, u.in(RBR));
        u.out(LCR, 0x80);
        assertEquals(0x0C, u.in(DLL), "divisor kept");
        assertEquals(0x01, u.in(DLM));
    }

    @Test
    void ierKeepsOnlyTheLowNibble() {
        u.out(IER, 0xFF);
        assertEquals(0x0F, u.in(IER));
        u.out(IER, 0xA5);
        assertEquals(0x05, u.in(IER));
    }

    @Test
    void lcrStoresAllEightBits() {
        for (int v : new int[] {0x00, 0x03, 0x1F, 0x7F, 0xBF, 0xFF}) {
            u.out(LCR, v);
            assertEquals(v, u.in(LCR));
        }
    }

    @Test
    void mcrClearsBitsFiveToSeven() {
        u.out(MCR, 0xFF);
        assertEquals(0x1F, u.in(MCR));
        u.out(MCR, 0x0B);
        assertEquals(0x0B, u.in(MCR));
    }

    @Test
    void scratchHoldsAnyByte() {
        for (int v = 0; v < 256; v += 17) {
            u.out(SCR, v);
            assertEquals(v, u.in(SCR));
        }
    }

    @Test
    void msrOffsetIgnoresWrites() {
        u.in(MSR);
        u.out(MSR, 0x0F);
        assertEquals(0xB0, u.in(MSR));
    }

    @Test
    void transmitReachesBackendAndThreFollowsTheBackend() {
        u.out(THR, 'h');
        u.out(THR, 'i');
        assertEquals("hi", pipe.hostOutput(), "a THR write offers the byte to the backend at once");
        assertEquals(0x60, u.in(LSR), "so a polling guest sees THR empty on its next LSR read");
    }

    @Test
    void threStaysClearUntilAFullBackendTakesTheBytes() {
        SerialPipe tight = new SerialPipe(1, true);
        UartHarness v = UartHarness.com1(tight);
        v.out(THR, 'h');
        int wakes = v.board.waker().wakes();
        v.out(THR, 'i');
        assertTrue(v.board.waker().wakes() > wakes, "a byte the backend refused wakes the poller");
        assertEquals(0x00, v.in(LSR), "THRE and TEMT stay clear until the backend took the bytes");
        assertEquals("h", tight.hostOutput());
        v.poll();
        assertEquals("hi", tight.hostOutput());
        assertEquals(0x60, v.in(LSR));
    }

    @Test
    void receivedBytesShowInLsrAndRbr() {
        pipe.hostWrite("abc");
        u.poll();
        assertEquals(0x61, u.in(LSR));
        assertEquals('a', u.in(RBR));
        assertEquals('b', u.in(RBR));
        assertEquals('c', u.in(RBR));
        assertEquals(0x60, u.in(LSR));
        assertEquals(0x00, u.in(RBR));
    }

    @Test
    void threInterruptIsAcknowledgedByIirAndRearmedByIerOrThr() {
        u.out(MCR, 0x08); // OUT2 routes the interrupt to the line
        u.out(IER, 0x02);
        assertTrue(u.line().level());
        assertEquals(0x02, u.in(IIR));
        assertEquals(0x01, u.in(IIR), "reading IIR while THRE is reported acknowledges it");
        assertFalse(u.line().level());
        u.out(IER, 0x02);
        assertEquals(0x02, u.in(IIR), "writing IER re-arms THRE");
        u.out(THR, 'x');
        assertEquals("x", pipe.hostOutput());
        assertTrue(u.line().level());
        assertEquals(0x02, u.in(IIR), "writing THR re-arms THRE once the backend took the byte");
        assertEquals(0x01, u.in(IIR));
    }

    @Test
    void fcrEnablesFifosInIirAndResetsToZeroWithoutEnable() {
        u.out(FCR, 0x01);
        assertEquals(0xC1, u.in(IIR));
        u.out(FCR, 0xC9);
        assertEquals(0xC1, u.in(IIR));
        u.out(FCR, 0xC0); // b0 = 0: FCR becomes 0 whatever else is set
        assertEquals(0x01, u.in(IIR));
    }

    @Test
    void fcrClearBitsEmptyTheFifosAndDoNotStick() {
        pipe.hostWrite("zz");
        u.out(MCR, 0x10); // loopback: THR writes land in RX, host input stays in the backend
        u.poll();
        assertEquals(0x60, u.in(LSR), "no host input pulled in loopback");
        u.out(FCR, 0x01);
        u.out(THR, 'a');
        u.out(THR, 'b');
        assertEquals(0x61, u.in(LSR));
        u.out(FCR, 0x03);
        assertEquals(0x60, u.in(LSR), "clear RX emptied it");
        u.out(THR, 'c');
        u.out(FCR, 0x01);
        assertEquals(0x61, u.in(LSR), "the clear bit did not stick");
        assertEquals('c', u.in(RBR));

        u.out(MCR, 0x00);
        u.poll();
        assertEquals("zz", u.readAll(), "out of loopback the host input arrives");
    }

    @Test
    void fcrClearTxDropsBytesTheBackendHasNotTaken() {
        SerialPipe tight = new SerialPipe(1, true);
        UartHarness v = UartHarness.com1(tight);
        v.out(THR, 'w');
        v.out(THR, 'x');
        assertEquals(0x00, v.in(LSR) & 0x60);
        v.out(FCR, 0x05);
        assertEquals(0x60, v.in(LSR) & 0x60, "clear TX emptied it");
        assertEquals("w", tight.hostOutput());
        v.poll();
        assertEquals("w", tight.hostOutput(), "the cleared byte never reached the backend");
    }

    @Test
    void rxTriggerLevelsSeparateDataAvailableFromTimeout() {
        int[] triggers = {1, 4, 8, 14};
        for (int k = 0; k < 4; k++) {
            u.out(FCR, 0x07 | (k << 6));
            u.out(IER, 0x01);
            int t = triggers[k];
            if (t > 1) {
                pipe.hostWrite(new byte[t - 1]);
                u.poll();
                assertEquals(0xCC, u.in(IIR), "below trigger " + t + ": character timeout");
            }
            pipe.hostWrite(new byte[1]);
            u.poll();
            assertEquals(0xC4, u.in(IIR), "at trigger " + t + ": data available");
        }
        u.out(FCR, 0x00);
        u.out(FCR, 0x07);
        u.out(FCR, 0x00);
        pipe.hostWrite("q");
        u.poll();
        assertEquals(0x04, u.in(IIR), "FIFOs off: one byte is the trigger, no FIFO bits");
    }

    @Test
    void lsrOverrunIsClearedByReadingLsr() {
        u.out(MCR, 0x10);
        u.out(THR, 'a');
        u.out(THR, 'b'); // FIFOs off: a one-byte receiver, so this overruns
        assertEquals(0x63, u.in(LSR));
        assertEquals(0x61, u.in(LSR), "OE cleared by the read");
        assertEquals('a', u.in(RBR), "the older byte is kept");
        assertEquals(0x60, u.in(LSR));
    }

    @Test
    void loopbackWithFifosTruncatesToSixteen() {
        u.out(FCR, 0x01);
        u.out(MCR, 0x10);
        for (int i = 0; i < 20; i++) {
            u.out(THR, 'A' + i);
        }
        u.poll();
        assertEquals("", pipe.hostOutput(), "loopback output never reaches the backend");
        assertEquals(0x63, u.in(LSR));
        assertEquals("ABCDEFGHIJKLMNOP", u.readAll());
    }

    @Test
    void loopbackWiresModemOutputsToInputs() {
        u.in(MSR);
        u.out(MCR, 0x10 | 0x01);
        assertEquals(0x20, u.in(MSR), "DTR -> DSR");
        u.out(MCR, 0x10 | 0x02);
        assertEquals(0x10, u.in(MSR), "RTS -> CTS");
        u.out(MCR, 0x10 | 0x04);
        assertEquals(0x40, u.in(MSR), "OUT1 -> RI");
        u.out(MCR, 0x10 | 0x08);
        assertEquals(0x80, u.in(MSR), "OUT2 -> DCD");
        u.out(MCR, 0x1F);
        assertEquals(0xF0, u.in(MSR));
        u.out(MCR, 0x00);
        assertEquals(0xB0, u.in(MSR), "back to the backend's lines");
    }

    @Test
    void connectAndDisconnectSetTheDeltas() {
        u.in(MSR);
        pipe.setConnected(false);
        u.poll();
        assertEquals(0x0B, u.in(MSR), "CTS DSR DCD dropped, deltas set");
        assertEquals(0x00, u.in(MSR));
        pipe.setConnected(true);
        u.poll();
        assertEquals(0xBB, u.in(MSR));
        assertEquals(0xB0, u.in(MSR));
    }

    @Test
    void modemStatusInterrupt() {
        u.in(MSR);
        u.out(MCR, 0x08);
        u.out(IER, 0x08);
        assertEquals(0x01, u.in(IIR));
        pipe.setConnected(false);
        u.poll();
        assertTrue(u.line().level());
        assertEquals(0x00, u.in(IIR));
        assertEquals(0x00, u.in(IIR), "IIR does not acknowledge modem status");
        u.in(MSR);
        assertEquals(0x01, u.in(IIR));
        assertFalse(u.line().level());
    }

    @Test
    void interruptPriorityOrder() {
        // Pending at once: overrun, RX data, THRE and the connect deltas (MSR unread since reset).
        u.out(FCR, 0x01);
        u.out(MCR, 0x18); // loopback + OUT2
        for (int i = 0; i < 17; i++) {
            u.out(THR, i);
        }
        u.out(IER, 0x0F);
        assertTrue(u.line().level());
        assertEquals(0xC6, u.in(IIR), "receiver line status first");
        assertEquals(0x63, u.in(LSR));
        assertEquals(0xC4, u.in(IIR), "then received data");
        for (int i = 0; i < 16; i++) {
            assertEquals(i, u.in(RBR));
        }
        assertEquals(0xC2, u.in(IIR), "then THR empty (acknowledged by this read)");
        assertEquals(0xC0, u.in(IIR), "then modem status");
        assertEquals(0x8B, u.in(MSR), "loopback status with the connect deltas");
        assertEquals(0xC1, u.in(IIR));
        assertFalse(u.line().level());
    }

    @Test
    void lineFollowsOut2() {
        u.out(IER, 0x02);
        assertFalse(u.line().level(), "pending THRE but OUT2 clear");
        u.out(MCR, 0x08);
        assertTrue(u.line().level());
        u.out(MCR, 0x00);
        assertFalse(u.line().level());
        assertEquals(0x02, u.in(IIR), "still pending inside the UART");
    }

    @Test
    void softResetKeepsDivisorScratchAndBuffers() {
        u.in(MSR);
        pipe.hostWrite("r");
        u.poll();
        u.out(LCR, 0x80);
        u.out(DLL, 0x34);
        u.out(DLM, 0x12);
        u.out(LCR, 0x1B);
        u.out(IER, 0x0F);
        u.out(FCR, 0xC1);
        u.out(MCR, 0x0B);
        u.out(SCR, 0x42);
        u.out(RST, 0x00);
        assertEquals(0x00, u.in(IER));
        assertEquals(0x00, u.in(LCR));
        assertEquals(0x00, u.in(MCR));
        assertEquals(0x01, u.in(IIR), "FCR back to 0: no FIFO bits");
        assertEquals(0x00, u.in(MSR), "MSR back to disconnected");
        assertEquals(0x42, u.in(SCR));
        assertEquals(0x61, u.in(LSR), "RX buffer kept");
        assertEquals('r', u.in(RBR));
        u.out(LCR, 0x80);
        assertEquals(0x34, u.in(DLL));
        assertEquals(0x12, u.in(DLM));
        u.out(LCR, 0x00);
        u.poll();
        assertEquals(0xBB, u.in(MSR), "the next poll reports the backend connected again");
    }

    @Test
    void widerAndMisalignedAccesses() {
        byte[] two = {(byte) 0xAA, (byte) 0xAA};
        FakeBus.of(u.device).ioRead(0x3F8 + LSR, two);
        assertArrayEquals(new byte[] {0x60, 0}, two, "wide reads zero the upper bytes");
        byte[] four = {(byte) 0x07, 0x55, 0x55, 0x55};
        FakeBus.of(u.device).ioWrite(0x3F8 + SCR, four);
        assertEquals(0x07, u.in(SCR), "writes use byte 0");
    }

    @Test
    void deviceResetRestoresPowerOnState() {
        u.out(LCR, 0x80);
        u.out(DLL, 1);
        u.out(LCR, 0x03);
        u.out(IER, 0x0F);
        u.out(MCR, 0x1F);
        u.out(SCR, 0);
        u.out(THR, 'x');
        u.device.capabilities().lifecycle().orElseThrow().reset();
        assertEquals(0x00, u.in(IER));
        assertEquals(0x00, u.in(LCR));
        assertEquals(0x00, u.in(MCR));
        assertEquals(0x60, u.in(LSR));
        assertEquals(0xFF, u.in(SCR));
        assertEquals(0xBB, u.in(MSR));
        u.out(LCR, 0x80);
        assertEquals(0x00, u.in(DLL));
        assertFalse(u.line().level());
        u.poll();
        assertEquals("", pipe.hostOutput(), "reset dropped the pending byte");

        SerialPipe off = new SerialPipe(16, false);
        UartHarness d = UartHarness.com1(off);
        d.device.capabilities().lifecycle().orElseThrow().reset();
        assertEquals(0x00, d.in(MSR), "reset with a disconnected backend does not connect it");
    }
}
