package io.jvmm.dev.pl011;

import static io.jvmm.dev.pl011.Pl011Registers.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.testkit.FakeLine;
import io.jvmm.testkit.SerialPipe;
import org.junit.jupiter.api.Test;

/** RIS/MIS/IMSC/ICR semantics, trigger levels and the output line. */
class Pl011InterruptTest {
    private final SerialPipe pipe = new SerialPipe();
    private final Pl011Harness u = Pl011Harness.on(pipe);

    @Test
    void icrClearsOnlyTheBitsWrittenAndRtFollowsTheFifo() {
        // Collect modem changes (from the initial connect), TX (a drain) and OE (loopback overflow).
        u.w(DR, 'a');
        u.poll();
        u.w(CR, CR_UARTEN | CR_TXE | CR_RXE | CR_LBE);
        for (int i = 0; i < 40; i++) {
            u.w(DR, 'L');
        }
        int ris = u.r(RIS);
        assertEquals(INT_CTS | INT_DCD | INT_DSR | INT_TX | INT_OE | INT_RX | INT_RT, ris);

        u.w(ICR, 0);
        assertEquals(ris, u.r(RIS), "writing zeros clears nothing");
        u.w(ICR, INT_CTS | 0xF800);
        assertEquals(ris & ~INT_CTS, u.r(RIS), "bits above 10 are ignored");
        u.w(ICR, INT_OE | INT_TX);
        assertEquals(INT_DCD | INT_DSR | INT_RX | INT_RT, u.r(RIS));
        u.w(ICR, INT_RT | INT_RX);
        assertEquals(INT_DCD | INT_DSR | INT_RT, u.r(RIS), "RT stays set while data waits; RX is cleared");
        u.readAll();
        assertEquals(INT_DCD | INT_DSR, u.r(RIS), "RT drops once the FIFO is empty");
        u.w(ICR, INT_ALL);
        assertEquals(0, u.r(RIS));
    }

    @Test
    void misIsRisAndImscAndDrivesTheLine() {
        FakeLine line = u.line();
        assertEquals("irq", line.lineSet());
        assertEquals(Pl011Harness.IRQ, line.vector());
        assertEquals(INT_MODEM_CHANGE, u.r(RIS));
        assertEquals(0, u.r(MIS));
        assertFalse(line.level());
        u.w(IMSC, INT_DCD);
        assertEquals(INT_DCD, u.r(MIS));
        assertTrue(line.level());
        u.w(IMSC, INT_RX | INT_RT);
        assertFalse(line.level(), "masking lowers the line");
        u.w(IMSC, INT_ALL);
        assertTrue(line.level());
        u.w(ICR, INT_ALL);
        assertFalse(line.level(), "clearing lowers the line");
        assertEquals(0, u.r(MIS));
    }

    @Test
    void rxInterruptAtTheTriggerLevelRtBelowIt() {
        u.w(ICR, INT_ALL);
        u.w(IMSC, INT_RX | INT_RT);
        u.w(IFLS, 0 << 3); // RX at 1/8: 4 bytes
        pipe.hostWrite("abc");
        u.poll();
        assertEquals(INT_RT, u.r(RIS), "below the trigger: only the timeout");
        assertTrue(u.line().level());
        pipe.hostWrite("d");
        u.poll();
        assertEquals(INT_RT | INT_RX, u.r(RIS));
        assertEquals('a', u.r(DR));
        assertEquals(INT_RT, u.r(RIS), "reading below the trigger clears RX");
        assertEquals("bcd", u.readAll());
        assertEquals(0, u.r(RIS));
        assertFalse(u.line().level());
    }

    @Test
    void everyIflsFieldValueSelectsItsTriggerLevel() {
        int[] expected = {4, 8, 16, 24, 28, 16, 16, 16}; // 1/8 .. 7/8 of 32; reserved values as 1/2
        for (int sel = 0; sel < 8; sel++) {
            SerialPipe p = new SerialPipe();
            Pl011Harness x = Pl011Harness.on(p);
            x.w(ICR, INT_ALL);
            x.w(IFLS, sel << 3 | sel);
            assertEquals((sel << 3 | sel) & 0x3F, x.r(IFLS));
            p.hostWrite(new byte[expected[sel] - 1]);
            x.poll();
            assertEquals(0, x.r(RIS) & INT_RX, "sel " + sel + ": one byte short");
            p.hostWrite(new byte[1]);
            x.poll();
            assertEquals(INT_RX, x.r(RIS) & INT_RX, "sel " + sel + ": at the trigger");

            // TX: a stuck-free drain from above the trigger down to zero sets TX.
            x.w(ICR, INT_ALL);
            for (int i = 0; i <= expected[sel]; i++) {
                x.w(DR, 'x');
            }
            assertEquals(0, x.r(RIS) & INT_TX);
            x.poll();
            assertEquals(INT_TX, x.r(RIS) & INT_TX, "sel " + sel);
        }
    }

    @Test
    void txInterruptIsClearedByFillingAboveTheTrigger() {
        pipe.setConnected(true);
        u.w(IMSC, INT_TX);
        u.w(ICR, INT_ALL);
        u.w(DR, 'x');
        u.poll();
        assertTrue(u.line().level());
        for (int i = 0; i < 16; i++) {
            u.w(DR, 'y'); // up to the trigger (16): still asserted
        }
        assertEquals(INT_TX, u.r(MIS));
        u.w(DR, 'z');
        assertEquals(0, u.r(MIS), "above the trigger");
        assertFalse(u.line().level());
        u.poll();
        assertEquals(INT_TX, u.r(MIS), "drained again");
        assertEquals("xyyyyyyyyyyyyyyyyz", pipe.hostOutput());
    }

    @Test
    void connectAndDisconnectSetModemChangeBitsAndFlagStatus() {
        u.w(ICR, INT_ALL);
        u.w(IMSC, INT_MODEM_CHANGE);
        pipe.setConnected(false);
        u.poll();
        assertEquals(INT_MODEM_CHANGE, u.r(MIS));
        assertTrue(u.line().level());
        assertEquals(0, u.r(FR) & (FR_CTS | FR_DSR | FR_DCD));
        u.w(ICR, INT_MODEM_CHANGE);
        u.poll();
        assertEquals(0, u.r(RIS), "no change, no bits");
        pipe.setConnected(true);
        u.poll();
        assertEquals(INT_MODEM_CHANGE, u.r(RIS));
        assertEquals(FR_CTS | FR_DSR | FR_DCD, u.r(FR) & (FR_CTS | FR_DSR | FR_DCD | FR_RI));
    }

    @Test
    void resetWithADisconnectedBackendReportsNoModemLines() {
        SerialPipe off = new SerialPipe(64, false);
        Pl011Harness x = Pl011Harness.on(off);
        assertEquals(0, x.r(RIS));
        assertEquals(0, x.r(FR) & (FR_CTS | FR_DSR | FR_DCD));
        x.w(IMSC, INT_ALL);
        x.w(CR, 0);
        x.device.capabilities().lifecycle().orElseThrow().reset();
        assertEquals(0, x.r(IMSC));
        assertEquals(CR_UARTEN | CR_TXE | CR_RXE, x.r(CR));
        assertEquals(0, x.r(RIS));
        assertFalse(x.line().level());
    }
}
