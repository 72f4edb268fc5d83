package io.jvmm.dev.serial16550;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.handles.DisconnectedSerialHandle;
import io.jvmm.api.handles.Serial16550Handle;
import io.jvmm.api.handles.SerialBase;
import io.jvmm.api.serial.SerialBackend;
import io.jvmm.api.serial.SerialBackendListener;
import io.jvmm.testkit.FakeBoard;
import io.jvmm.testkit.FakeLine;
import io.jvmm.testkit.SerialPipe;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** How the UART moves bytes to and from its backend: flow control, bounds, wakes. */
class Uart16550BackendTest {
    static final int THR = 0, RBR = 0, IER = 1, IIR = 2, FCR = 2, MCR = 4, LSR = 5, MSR = 6;

    @Test
    void waitForRtsKeepsHostInputInTheBackendUntilDtrAndRts() {
        SerialPipe pipe = new SerialPipe();
        UartHarness u = UartHarness.of(
                Serial16550Handle.comPort(1, DisconnectedSerialHandle.resource()).withWaitForRts(true),
                pipe.backend(), new FakeBoard());
        pipe.hostWrite("boot");
        u.poll();
        assertEquals(0x60, u.in(LSR), "port not opened: nothing pulled");
        assertEquals(4, pipe.pendingInput(), "the bytes wait in the backend");
        u.out(FCR, 0x07); // the guest clears FIFOs during boot: nothing is lost
        u.out(MCR, 0x01);
        u.poll();
        assertEquals(4, pipe.pendingInput(), "DTR alone is not enough");
        int wakes = u.board.waker().wakes();
        u.out(MCR, 0x03);
        assertTrue(u.board.waker().wakes() > wakes, "raising RTS wakes the poller");
        u.poll();
        assertEquals(0, pipe.pendingInput());
        assertEquals("boot", u.readAll());
        u.out(MCR, 0x00);
        pipe.hostWrite("x");
        u.poll();
        assertEquals(1, pipe.pendingInput(), "closing the port stops the flow again");
    }

    @Test
    void withoutWaitForRtsInputFlowsAtOnce() {
        SerialPipe pipe = new SerialPipe();
        UartHarness u = UartHarness.com1(pipe);
        pipe.hostWrite("now");
        u.poll();
        assertEquals("now", u.readAll());
    }

    @Test
    void disconnectedBackendKeepsInputAndDropsOutput() {
        SerialPipe pipe = new SerialPipe(1024, false);
        UartHarness u = UartHarness.com1(pipe);
        pipe.hostWrite("in");
        u.out(THR, 'o');
        u.poll();
        assertEquals(0x60, u.in(LSR), "output dropped by the backend counts as sent; no input pulled");
        assertEquals(2, pipe.pendingInput());
        assertEquals(1, pipe.backend().droppedBytes());
    }

    /** Accepts nothing, ever: the worst possible reader. */
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
    void aStuckBackendBoundsMemoryAndHoldsThreLow() {
        StuckBackend stuck = new StuckBackend();
        UartHarness u = UartHarness.com1(stuck);
        u.out(MCR, 0x08);
        u.out(IER, 0x02);
        u.in(IIR);
        for (int i = 0; i < 10_000; i++) {
            u.out(THR, 'x');
            if (i % 100 == 0) {
                u.poll();
            }
        }
        u.poll();
        assertEquals(Uart16550.BUFFER_SIZE, u.uart().txBuffered(), "TX holds at most its buffer");
        assertEquals(10_000 - Uart16550.BUFFER_SIZE, u.uart().droppedTx(), "the rest was dropped, not stored");
        assertEquals(0x00, u.in(LSR) & 0x60, "THRE and TEMT stay 0 while the backend is stuck");
        assertEquals(0x01, u.in(IIR) & 0x0F, "no THRE interrupt either");
        assertFalse(u.line().level());
        assertTrue(stuck.offered > 0);
    }

    @Test
    void aWellBehavedGuestLosesNothingBehindASlowReader() {
        SerialPipe pipe = new SerialPipe(64, true);
        UartHarness u = UartHarness.com1(pipe);
        StringBuilder sent = new StringBuilder();
        StringBuilder received = new StringBuilder();
        for (int i = 0; i < 2000; i++) {
            char c = (char) ('a' + i % 26);
            int spins = 0;
            while ((u.in(LSR) & 0x20) == 0) { // the 8250 console waits for THRE
                u.poll();
                if (++spins % 3 == 0) { // the host reads now and then
                    received.append(pipe.hostOutput());
                    pipe.clearTranscript();
                }
            }
            u.out(THR, c);
            sent.append(c);
        }
        u.poll();
        received.append(pipe.hostOutput());
        assertEquals(sent.toString(), received.toString());
        assertEquals(0, u.uart().droppedTx());
    }

    @Test
    void partialWritesKeepTheRestForTheNextPoll() {
        SerialPipe pipe = new SerialPipe(5, true);
        UartHarness u = UartHarness.com1(pipe);
        for (char c : "hello world".toCharArray()) {
            u.out(THR, c);
        }
        u.poll();
        assertEquals(6, u.uart().txBuffered());
        assertEquals(0x00, u.in(LSR) & 0x20);
        assertEquals("hello", pipe.hostOutput());
        u.poll();
        assertEquals(" worl", pipe.hostOutput().substring(5));
        u.poll();
        assertEquals("hello world", pipe.hostOutput());
        assertEquals(0x60, u.in(LSR));
    }

    @Test
    void hostInputBeyondTheBufferWaitsAndArrivesInOrder() {
        SerialPipe pipe = new SerialPipe();
        UartHarness u = UartHarness.com1(pipe);
        byte[] data = new byte[1000];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) ('0' + i % 10);
        }
        pipe.hostWrite(data);
        u.poll();
        assertEquals(Uart16550.BUFFER_SIZE, u.uart().rxBuffered());
        assertEquals(1000 - Uart16550.BUFFER_SIZE, pipe.pendingInput());
        StringBuilder got = new StringBuilder();
        int wakes = u.board.waker().wakes();
        while (got.length() < 1000) {
            if ((u.in(LSR) & 1) == 0) {
                assertTrue(u.board.waker().wakes() > wakes, "draining a full RX wakes the poller");
                u.poll();
                continue;
            }
            got.append((char) u.in(RBR));
            assertEquals(0, u.in(LSR) & 0x02, "never an overrun");
        }
        assertEquals(new String(data, StandardCharsets.ISO_8859_1), got.toString());
    }

    @Test
    void backendListenerWakesTheDevice() {
        SerialPipe pipe = new SerialPipe();
        UartHarness u = UartHarness.com1(pipe);
        int wakes = u.board.waker().wakes();
        pipe.hostWrite("k");
        assertEquals(wakes + 1, u.board.waker().wakes());
        pipe.setConnected(false);
        assertEquals(wakes + 2, u.board.waker().wakes());
    }

    @Test
    void aThrowingBackendIsContained() {
        SerialBackend broken = new StuckBackend() {
            @Override
            public int write(byte[] data, int offset, int length) {
                throw new IllegalStateException("boom");
            }
        };
        UartHarness u = UartHarness.com1(broken);
        u.out(THR, 'x');
        u.poll();
        assertEquals(0x60, u.in(LSR), "the output was dropped and the UART is usable");
    }

    @Test
    void com1AndCom3ShareIrq4() {
        FakeBoard board = new FakeBoard();
        SerialPipe p1 = new SerialPipe();
        SerialPipe p3 = new SerialPipe();
        UartHarness com1 = UartHarness.of(Serial16550Handle.comPort(1, DisconnectedSerialHandle.resource()),
                p1.backend(), board);
        UartHarness com3 = UartHarness.of(Serial16550Handle.comPort(3, DisconnectedSerialHandle.resource()),
                p3.backend(), board);
        assertEquals(2, board.lines().size());
        FakeLine l1 = board.lines().get(0);
        FakeLine l3 = board.lines().get(1);
        assertEquals(4, l1.vector());
        assertEquals(4, l3.vector());
        assertEquals("irq", l1.lineSet());
        for (UartHarness u : new UartHarness[] {com1, com3}) {
            u.in(MSR);
            u.out(MCR, 0x08);
            u.out(IER, 0x01);
        }
        assertFalse(board.lineLevel("irq", 4));
        p1.hostWrite("1");
        com1.poll();
        assertTrue(l1.level() && !l3.level());
        assertTrue(board.lineLevel("irq", 4));
        p3.hostWrite("3");
        com3.poll();
        assertTrue(l1.level() && l3.level());
        assertEquals('1', com1.in(RBR));
        assertFalse(l1.level(), "COM1 dropped its contribution");
        assertTrue(board.lineLevel("irq", 4), "the shared line stays high for COM3");
        assertEquals(0x04, com3.in(IIR) & 0x0F, "the handler finds COM3 pending");
        assertEquals('3', com3.in(RBR));
        assertFalse(board.lineLevel("irq", 4));
        assertEquals(0x3E8, com3.base);
    }

    @Test
    void comPortHandlesUseTheStandardPortsAndIrqs() {
        FakeBoard board = new FakeBoard();
        for (int n = 1; n <= 4; n++) {
            UartHarness.of(Serial16550Handle.comPort(n, DisconnectedSerialHandle.resource()),
                    new SerialPipe().backend(), board);
        }
        int[] ports = {0x3F8, 0x2F8, 0x3E8, 0x2E8};
        int[] irqs = {4, 3, 4, 3};
        for (int i = 0; i < 4; i++) {
            assertEquals(FakeBoard.Claim.pio("registers", ports[i], ports[i] + 7), board.claims().get(i));
            assertEquals(irqs[i], board.lines().get(i).vector());
            assertEquals("interrupt", board.lines().get(i).label());
        }
        assertEquals(new SerialBase.IoPort(0x3F8), Serial16550Handle.comPort(1, DisconnectedSerialHandle.resource()).base());
    }
}
