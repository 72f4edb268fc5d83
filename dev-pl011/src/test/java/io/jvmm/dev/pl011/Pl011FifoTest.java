package io.jvmm.dev.pl011;

import static io.jvmm.dev.pl011.Pl011Registers.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.serial.SerialBackend;
import io.jvmm.api.serial.SerialBackendListener;
import io.jvmm.testkit.SerialPipe;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** FIFOs on and off, enables, loopback and the bounds behind the FIFOs. */
class Pl011FifoTest {
    /** Accepts nothing, ever. */
    static class StuckBackend implements SerialBackend {
        int offered;

        @Override
        public boolean isConnected() {
            return true;
        }

        @Override
        public int write(byte[] data, int offset, int length) {
            offered++;
            return 0;
        }

        @Override
        public int read(byte[] data, int offset, int length) {
            return 0;
        }

        @Override
        public void setListener(SerialBackendListener listener) {}

        @Override
        public void close() {}
    }

    @Test
    void thirtyTwoEntryFifosWithFen() {
        StuckBackend stuck = new StuckBackend();
        Pl011Harness u = Pl011Harness.on(stuck);
        for (int i = 0; i < 31; i++) {
            u.w(DR, 'x');
        }
        assertEquals(0, u.r(FR) & FR_TXFF);
        u.w(DR, 'x');
        assertEquals(FR_TXFF, u.r(FR) & (FR_TXFF | FR_TXFE));
        u.poll();
        assertEquals(32, u.uart().txBuffered(), "nothing taken by the stuck backend");
        assertTrue(stuck.offered > 0);
    }

    @Test
    void clearingFenFlushesBothFifosAndShrinksThemToOneEntry() {
        SerialPipe pipe = new SerialPipe();
        Pl011Harness u = Pl011Harness.on(pipe);
        pipe.hostWrite("input");
        u.poll();
        u.w(CR, 0); // disabled: nothing drains, and LCR_H may be written
        u.w(DR, 'o');
        u.w(DR, 'p');
        assertEquals(5, u.uart().rxBuffered());
        u.w(LCR_H, LCR_H_WLEN_8 | LCR_H_FEN);
        assertEquals(5, u.uart().rxBuffered(), "FEN staying on flushes nothing");
        u.w(LCR_H, LCR_H_WLEN_8);
        assertEquals(0, u.uart().rxBuffered());
        assertEquals(0, u.uart().txBuffered());
        assertEquals(FR_RXFE | FR_TXFE, u.r(FR) & (FR_RXFE | FR_TXFE | FR_RXFF | FR_TXFF));
        u.w(DR, 'q');
        assertEquals(FR_TXFF, u.r(FR) & (FR_TXFF | FR_TXFE), "one-entry holding register");
        u.w(CR, CR_UARTEN | CR_TXE | CR_RXE);
        u.poll();
        assertEquals("q", pipe.hostOutput(), "flushed bytes were never sent");
        pipe.hostWrite("r");
        u.poll();
        assertEquals(FR_RXFF, u.r(FR) & (FR_RXFF | FR_RXFE));
        assertEquals(INT_RX, u.r(RIS) & INT_RX, "RX trigger is one byte without FIFOs");
        u.w(ICR, INT_ALL);
        u.w(IMSC, INT_RX);
        pipe.hostWrite("s");
        u.poll();
        assertEquals(0, u.r(MIS), "'s' waits behind the full holding register");
        assertEquals('r', u.r(DR));
        assertEquals(INT_RX, u.r(MIS), "'s' moved into the holding register: a new reception");
        assertEquals('s', u.r(DR));
        assertEquals(0, u.r(MIS));
    }

    @Test
    void lcrHIsIgnoredWhileEnabled() {
        SerialPipe pipe = new SerialPipe();
        Pl011Harness u = Pl011Harness.on(pipe);
        pipe.hostWrite("keep");
        u.poll();
        u.w(LCR_H, LCR_H_WLEN_8);
        assertEquals(LCR_H_FEN, u.r(LCR_H));
        assertEquals("keep", u.readAll(), "no flush either");
        assertEquals(1, u.uart().ignoredLcrHWrites());
    }

    @Test
    void transmitterAndReceiverEnables() {
        SerialPipe pipe = new SerialPipe();
        Pl011Harness u = Pl011Harness.on(pipe);
        u.w(CR, CR_UARTEN | CR_RXE);
        u.w(DR, 'h');
        u.w(DR, 'i');
        u.poll();
        assertEquals("", pipe.hostOutput(), "TXE clear: the bytes wait in the FIFO");
        assertEquals(0, u.r(FR) & FR_TXFE);
        int wakes = u.board.waker().wakes();
        u.w(CR, CR_UARTEN | CR_RXE | CR_TXE);
        assertTrue(u.board.waker().wakes() > wakes, "enabling wakes the poller");
        u.poll();
        assertEquals("hi", pipe.hostOutput());

        u.w(CR, CR_TXE | CR_RXE); // UARTEN clear
        pipe.hostWrite("in");
        u.w(DR, '!');
        u.poll();
        assertEquals(2, pipe.pendingInput(), "disabled: input stays in the backend");
        assertEquals("hi", pipe.hostOutput());
        u.w(CR, CR_UARTEN | CR_TXE | CR_RXE);
        u.poll();
        assertEquals("in", u.readAll());
        assertEquals("hi!", pipe.hostOutput());
    }

    @Test
    void loopbackReturnsWhatIsSentAndOverrunsPastTheFifo() {
        SerialPipe pipe = new SerialPipe();
        Pl011Harness u = Pl011Harness.on(pipe);
        u.w(ICR, INT_ALL);
        u.w(CR, CR_UARTEN | CR_TXE | CR_RXE | CR_LBE | CR_RTS);
        assertEquals(FR_CTS, u.r(FR) & (FR_CTS | FR_DSR | FR_DCD | FR_RI), "RTS is looped back to CTS");
        u.w(CR, CR_UARTEN | CR_TXE | CR_RXE | CR_LBE | CR_DTR | CR_OUT1 | CR_OUT2);
        assertEquals(FR_DSR | FR_DCD | FR_RI, u.r(FR) & (FR_CTS | FR_DSR | FR_DCD | FR_RI));
        for (char c : "loop".toCharArray()) {
            u.w(DR, c);
        }
        pipe.hostWrite("host");
        u.poll();
        assertEquals("loop", u.readAll());
        assertEquals("", pipe.hostOutput(), "nothing reaches the backend");
        assertEquals(4, pipe.pendingInput(), "and nothing is taken from it");
        assertEquals(INT_TX, u.r(RIS) & INT_TX, "the loop drained the TX FIFO");
        for (int i = 0; i < 40; i++) {
            u.w(DR, i);
        }
        assertEquals(32, u.uart().rxBuffered(), "a FIFO full");
        assertEquals(INT_OE, u.r(RIS) & INT_OE);
        for (int i = 0; i < 32; i++) {
            assertEquals(i, u.r(DR));
        }
        u.w(CR, CR_UARTEN | CR_TXE | CR_RXE);
        u.poll();
        assertEquals("host", u.readAll());
    }

    @Test
    void aStuckBackendBoundsMemory() {
        StuckBackend stuck = new StuckBackend();
        Pl011Harness u = Pl011Harness.on(stuck);
        for (int i = 0; i < 10_000; i++) {
            u.w(DR, 'x');
            if (i % 100 == 0) {
                u.poll();
            }
        }
        assertEquals(Pl011Uart.BUFFER_SIZE, u.uart().txBuffered());
        assertEquals(10_000 - Pl011Uart.BUFFER_SIZE, u.uart().droppedTx(), "the newest bytes were dropped");
        assertEquals(FR_TXFF, u.r(FR) & (FR_TXFF | FR_TXFE));
    }

    @Test
    void hostInputBeyondTheBufferWaitsAndArrivesInOrder() {
        SerialPipe pipe = new SerialPipe();
        Pl011Harness u = Pl011Harness.on(pipe);
        byte[] data = new byte[1000];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) ('0' + i % 10);
        }
        pipe.hostWrite(data);
        u.poll();
        assertEquals(Pl011Uart.BUFFER_SIZE, u.uart().rxBuffered());
        assertEquals(1000 - Pl011Uart.BUFFER_SIZE, pipe.pendingInput());
        StringBuilder got = new StringBuilder();
        int wakes = u.board.waker().wakes();
        while (got.length() < 1000) {
            if ((u.r(FR) & FR_RXFE) != 0) {
                assertTrue(u.board.waker().wakes() > wakes, "draining a full RX wakes the poller");
                u.poll();
                continue;
            }
            got.append((char) u.r(DR));
        }
        assertEquals(new String(data, StandardCharsets.ISO_8859_1), got.toString());
        assertEquals(0, u.r(RIS) & INT_OE, "never an overrun");
    }

    @Test
    void aThrowingBackendIsContained() {
        StuckBackend broken = new StuckBackend() {
            @Override
            public int write(byte[] data, int offset, int length) {
                throw new IllegalStateException("boom");
            }
        };
        Pl011Harness u = Pl011Harness.on(broken);
        u.w(DR, 'x');
        u.poll();
        assertEquals(FR_TXFE, u.r(FR) & FR_TXFE, "dropped; the UART stays usable");
        assertEquals(1, u.uart().droppedTx());
    }

    @Test
    void backendListenerWakesTheDevice() {
        SerialPipe pipe = new SerialPipe();
        Pl011Harness u = Pl011Harness.on(pipe);
        int wakes = u.board.waker().wakes();
        pipe.hostWrite("k");
        assertEquals(wakes + 1, u.board.waker().wakes());
        u.w(DR, 'o');
        assertEquals(wakes + 2, u.board.waker().wakes(), "a DR write wakes the poller to send it");
    }
}
