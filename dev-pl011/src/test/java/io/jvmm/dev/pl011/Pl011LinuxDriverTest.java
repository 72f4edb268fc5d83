package io.jvmm.dev.pl011;

import static io.jvmm.dev.pl011.Pl011Registers.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.testkit.SerialPipe;
import java.util.ArrayDeque;
import java.util.Deque;
import org.junit.jupiter.api.Test;

/**
 * Register sequences of Linux's drivers/tty/serial/amba-pl011.c replayed against the device:
 * pl011_register_port, pl011_hwinit, pl011_startup/sbsa_uart_startup, pl011_set_termios,
 * pl011_int, pl011_start_tx, pl011_shutdown, and earlycon's pl011_putc. FreeBSD's TX pattern too.
 */
class Pl011LinuxDriverTest {
    /** The driver's port state: its copy of IMSC and the characters waiting to be sent. */
    static final class Driver {
        final Pl011Harness u;
        final int fifosize = 32;
        int im;
        final Deque<Character> xmit = new ArrayDeque<>();
        final StringBuilder received = new StringBuilder();
        int interrupts;

        Driver(Pl011Harness u) {
            this.u = u;
        }

        /** pl011_register_port: mask and clear everything. */
        void registerPort() {
            u.w(IMSC, 0);
            u.w(ICR, 0xFFFF);
        }

        /** pl011_hwinit. */
        void hwinit() {
            u.w(ICR, INT_OE | INT_BE | INT_PE | INT_FE | INT_RT | INT_RX);
            im = u.r(IMSC);
            u.w(IMSC, INT_RT | INT_RX);
        }

        /** pl011_allocate_irq (request_irq itself is the test's job). */
        void allocateIrq() {
            u.w(IMSC, im);
        }

        /** pl011_enable_interrupts. */
        void enableInterrupts() {
            u.w(ICR, INT_RT | INT_RX);
            for (int i = 0; i < fifosize * 2; i++) {
                if ((u.r(FR) & FR_RXFE) != 0) {
                    break;
                }
                u.r(DR);
            }
            im = INT_RT | INT_RX;
            u.w(IMSC, im);
        }

        /** pl011_startup for an ARM PL011 (vendor_arm: IFLS RX4_8|TX4_8). */
        void startupAmba() {
            hwinit();
            allocateIrq();
            u.w(IFLS, 0x12);
            int cr = u.r(CR) & (CR_RTS | CR_DTR);
            u.w(CR, cr | CR_UARTEN | CR_RXE | CR_TXE);
            u.r(FR); // old_status
            enableInterrupts();
        }

        /** sbsa_uart_startup. */
        void startupSbsa() {
            hwinit();
            allocateIrq();
            enableInterrupts();
        }

        /** pl011_set_termios at 115200 8N1 with a 24 MHz clock (quot = 833). */
        void setTermios() {
            int quot = 833;
            int oldCr = u.r(CR);
            u.w(FBRD, quot & 0x3F);
            u.w(IBRD, quot >> 6);
            u.w(LCR_H, LCR_H_WLEN_8 | LCR_H_FEN);
            u.w(CR, oldCr | CR_RXE);
        }

        /** pl011_tx_chars; returns whether TX interrupts are still wanted. */
        boolean txChars(boolean fromIrq) {
            int count = fifosize >> 1;
            if (xmit.isEmpty()) {
                stopTx();
                return false;
            }
            while (true) {
                if (fromIrq && count-- == 0) {
                    break;
                }
                Character c = xmit.peek();
                if (c == null) {
                    break;
                }
                if (!fromIrq && (u.r(FR) & FR_TXFF) != 0) {
                    break;
                }
                u.w(DR, c);
                xmit.poll();
            }
            if (xmit.isEmpty()) {
                stopTx();
                return false;
            }
            return true;
        }

        void stopTx() {
            im &= ~INT_TX;
            u.w(IMSC, im);
        }

        /** pl011_start_tx_pio. */
        void startTx(String text) {
            for (char c : text.toCharArray()) {
                xmit.add(c);
            }
            if (txChars(false)) {
                im |= INT_TX;
                u.w(IMSC, im);
            }
        }

        /** pl011_int, called while the line is high. */
        void interrupt() {
            interrupts++;
            int pass = 256;
            int status = u.r(RIS) & im;
            while (status != 0) {
                u.w(ICR, status & ~(INT_TX | INT_RT | INT_RX));
                if ((status & (INT_RT | INT_RX)) != 0) {
                    for (int taken = 0; taken < 256; taken++) {
                        if ((u.r(FR) & FR_RXFE) != 0) {
                            break;
                        }
                        received.append((char) (u.r(DR) & 0xFF));
                    }
                }
                if ((status & INT_TX) != 0) {
                    txChars(true);
                }
                if (pass-- == 0) {
                    break;
                }
                status = u.r(RIS) & im;
            }
        }

        /** pl011_shutdown: pl011_disable_interrupts then pl011_disable_uart. */
        void shutdownAmba() {
            im = 0;
            u.w(IMSC, im);
            u.w(ICR, 0xFFFF);
            int cr = u.r(CR) & (CR_RTS | CR_DTR);
            u.w(CR, cr | CR_UARTEN | CR_TXE);
            int lcrh = u.r(LCR_H) & ~(LCR_H_BRK | LCR_H_FEN);
            u.w(LCR_H, lcrh);
        }

        /** sbsa_uart_shutdown. */
        void shutdownSbsa() {
            im = 0;
            u.w(IMSC, im);
            u.w(ICR, 0xFFFF);
        }

        /** Runs the device and the driver's interrupt handler until nothing is pending or left to send. */
        void runUntilIdle(SerialPipe pipe, StringBuilder hostSaw) {
            for (int round = 0; round < 10_000; round++) {
                u.poll();
                hostSaw.append(pipe.hostOutput());
                pipe.clearTranscript();
                if (u.line().level()) {
                    interrupt();
                } else if (xmit.isEmpty() && u.uart().txBuffered() == 0) {
                    return;
                }
            }
            throw new AssertionError("the driver never went idle");
        }
    }

    @Test
    void sbsaProbeStartupReceiveTransmitAndShutdown() {
        SerialPipe pipe = new SerialPipe();
        Pl011Harness u = Pl011Harness.on(pipe);
        Driver d = new Driver(u);
        d.registerPort();
        assertEquals(0, u.r(RIS), "ICR 0xffff cleared the connect change bits");
        d.startupSbsa();
        assertEquals(INT_RT | INT_RX, u.r(IMSC));
        assertEquals(CR_UARTEN | CR_TXE | CR_RXE, u.r(CR), "SBSA: the driver never touches CR");
        assertFalse(u.line().level());

        pipe.hostWrite("ls\r");
        u.poll();
        assertTrue(u.line().level(), "three bytes are below the trigger, so RT raises the line");
        assertEquals(INT_RT, u.r(MIS));
        d.interrupt();
        assertEquals("ls\r", d.received.toString());
        assertFalse(u.line().level(), "drained: RT dropped");

        String text = "a line longer than the thirty-two byte FIFO, so the TX interrupt has to refill it\r\n";
        d.startTx(text);
        assertEquals(32, u.uart().txBuffered(), "pl011_tx_chars filled the FIFO until TXFF");
        assertEquals(INT_RT | INT_RX | INT_TX, d.im);
        StringBuilder host = new StringBuilder();
        d.runUntilIdle(pipe, host);
        assertEquals(text, host.toString());
        assertTrue(d.interrupts >= 2, "refilled from the TX interrupt");
        assertEquals(0, d.im & INT_TX, "pl011_stop_tx masked TX once the buffer was empty");
        assertEquals(0, u.uart().droppedTx());

        d.shutdownSbsa();
        assertEquals(0, u.r(IMSC));
        assertEquals(0, u.r(RIS) & ~INT_RT);
        assertFalse(u.line().level());
    }

    @Test
    void ambaStartupSetTermiosAndShutdown() {
        SerialPipe pipe = new SerialPipe();
        Pl011Harness u = Pl011Harness.on(pipe);
        Driver d = new Driver(u);
        d.registerPort();
        d.startupAmba();
        assertEquals(CR_UARTEN | CR_TXE | CR_RXE, u.r(CR));
        assertEquals(0x12, u.r(IFLS));

        d.setTermios();
        // The UART is enabled (SBSA firmware state), so the LCR_H write - and with it the staged
        // divisors - is ignored, as the PL011 must not be reprogrammed while UARTEN is set.
        assertEquals(LCR_H_FEN, u.r(LCR_H));
        assertEquals(0, u.r(IBRD));
        assertEquals(1, u.uart().ignoredLcrHWrites());
        d.startTx("still works\r\n");
        StringBuilder host = new StringBuilder();
        d.runUntilIdle(pipe, host);
        assertEquals("still works\r\n", host.toString());

        d.shutdownAmba();
        assertEquals(CR_UARTEN | CR_TXE, u.r(CR), "receiver off, transmitter kept for the console");
        assertEquals(0, u.r(IMSC));
        assertEquals(LCR_H_FEN, u.r(LCR_H), "the FEN clear is ignored while UARTEN is set");
        assertFalse(u.line().level());
        pipe.hostWrite("typed after close");
        u.poll();
        assertEquals(17, pipe.pendingInput(), "with RXE clear, host input waits in the backend");
        assertEquals(FR_RXFE, u.r(FR) & FR_RXFE);

        // Reopening: startup turns the receiver back on and the input arrives.
        d.startupAmba();
        u.poll();
        assertTrue(u.line().level());
        d.interrupt();
        assertEquals("typed after close", d.received.toString());
    }

    @Test
    void divisorsLatchWhenProgrammedWithTheUartDisabled() {
        Pl011Harness u = Pl011Harness.on(new SerialPipe());
        u.w(CR, 0);
        u.w(FBRD, 833 & 0x3F);
        u.w(IBRD, 833 >> 6);
        assertEquals(0, u.r(IBRD), "staged until LCR_H is written");
        assertEquals(0, u.r(FBRD));
        u.w(LCR_H, LCR_H_WLEN_8 | LCR_H_FEN);
        assertEquals(13, u.r(IBRD));
        assertEquals(1, u.r(FBRD));
        assertEquals(0x70, u.r(LCR_H));
        u.w(IBRD, 7);
        assertEquals(13, u.r(IBRD), "a new IBRD waits for the next LCR_H write again");
        u.w(CR, CR_UARTEN | CR_TXE | CR_RXE);
        // pl011_console_get_options: baud = uartclk * 4 / (64 * ibrd + fbrd)
        assertEquals(115_246, 24_000_000L * 4 / (64L * u.r(IBRD) + u.r(FBRD)));
    }

    @Test
    void earlyconPutcBehindASlowHostLosesNothingAndNeverSeesBusy() {
        SerialPipe pipe = new SerialPipe(7, true);
        Pl011Harness u = Pl011Harness.on(pipe);
        StringBuilder sent = new StringBuilder();
        StringBuilder host = new StringBuilder();
        boolean sawTxff = false;
        for (int line = 0; line < 40; line++) {
            String text = "[    0.00" + line + "] Booting Linux on physical CPU 0x0\n";
            for (char c : text.toCharArray()) {
                // uart_console_write turns \n into \r\n
                if (c == '\n') {
                    sawTxff |= putc(u, pipe, host, '\r');
                    sent.append('\r');
                }
                sawTxff |= putc(u, pipe, host, c);
                sent.append(c);
            }
        }
        for (int i = 0; i < 100 && u.uart().txBuffered() > 0; i++) {
            u.poll();
            host.append(pipe.hostOutput());
            pipe.clearTranscript();
        }
        assertEquals(sent.toString(), host.toString());
        assertTrue(sawTxff, "the 7-byte host buffer made the FIFO fill up");
        assertEquals(0, u.uart().droppedTx());
    }

    /** One pl011_putc while the host drains a little now and then; returns whether TXFF was seen. */
    private static boolean putc(Pl011Harness u, SerialPipe pipe, StringBuilder host, char c) {
        boolean full = false;
        int spins = 0;
        while ((u.r(FR) & FR_TXFF) != 0) {
            full = true;
            u.poll();
            if (++spins % 4 == 0) {
                host.append(pipe.hostOutput());
                pipe.clearTranscript();
            }
            assertTrue(spins < 1000, "TXFF stuck");
        }
        u.w(DR, c);
        assertEquals(0, u.r(FR) & FR_BUSY, "BUSY is never reported");
        if (c == '\n') {
            u.poll(); // the device thread runs now and then
        }
        return full;
    }

    @Test
    void earlyconWithByteWritesAndFifosOff() {
        SerialPipe pipe = new SerialPipe();
        Pl011Harness u = Pl011Harness.on(pipe);
        u.w(CR, 0);
        u.w(LCR_H, LCR_H_WLEN_8);
        u.w(CR, CR_UARTEN | CR_TXE | CR_RXE);
        for (char c : "earlycon=pl011,mmio,0xeffec000\r\n".toCharArray()) {
            int spins = 0;
            while ((u.r(FR) & FR_TXFF) != 0) {
                u.poll();
                assertTrue(++spins < 10, "one poll empties the holding register");
            }
            assertEquals(io.jvmm.api.device.IoResult.OK, u.write(DR, c, 1), "writeb for UPIO_MEM");
            assertEquals(FR_TXFF, u.r(FR) & FR_TXFF, "a one-entry holding register is full after one byte");
        }
        u.poll();
        assertEquals("earlycon=pl011,mmio,0xeffec000\r\n", pipe.hostOutput());
    }

    @Test
    void freeBsdTxInterruptAfterAShortWrite() {
        for (boolean connected : new boolean[] {true, false}) {
            SerialPipe pipe = new SerialPipe(1024, connected);
            Pl011Harness u = Pl011Harness.on(pipe);
            u.w(IMSC, INT_TX);
            u.w(ICR, INT_ALL);
            u.w(DR, 'x');
            assertEquals(0, u.r(MIS) & INT_TX, "not before it was sent");
            u.poll();
            assertEquals(0, u.uart().txBuffered());
            assertEquals(INT_TX, u.r(MIS) & INT_TX, "drained below the trigger (connected=" + connected + ")");
            assertTrue(u.line().level());
            u.w(ICR, INT_TX);
            assertFalse(u.line().level());
        }
    }
}
