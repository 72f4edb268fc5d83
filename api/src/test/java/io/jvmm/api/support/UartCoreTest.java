package io.jvmm.api.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.DeviceWaker;
import io.jvmm.api.serial.SerialBackend;
import io.jvmm.api.serial.SerialBackendListener;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.ResourceBundle;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class UartCoreTest {
    /** Takes at most {@code room} bytes in total until freed; serves {@code input}; may be broken. */
    private static final class Backend implements SerialBackend {
        final ByteArrayOutputStream written = new ByteArrayOutputStream();
        int room = Integer.MAX_VALUE;
        byte[] input = new byte[0];
        int inputPos;
        boolean connected = true;
        RuntimeException broken;

        @Override
        public boolean isConnected() {
            if (broken != null) {
                throw broken;
            }
            return connected;
        }

        @Override
        public int write(byte[] data, int offset, int length) {
            if (broken != null) {
                throw broken;
            }
            int n = Math.min(length, room);
            written.write(data, offset, n);
            room -= n;
            return n;
        }

        @Override
        public int read(byte[] data, int offset, int length) {
            int n = Math.min(length, input.length - inputPos);
            System.arraycopy(input, inputPos, data, offset, n);
            inputPos += n;
            return n;
        }

        @Override
        public void setListener(SerialBackendListener listener) {}

        @Override
        public void close() {}
    }

    private static final class Waker implements DeviceWaker {
        int wakes;

        @Override
        public void wake() {
            wakes++;
        }

        @Override
        public void wakeAfter(Duration delay) {}
    }

    /** Records what is logged. */
    private static final class Log implements System.Logger {
        final List<String> lines = new ArrayList<>();

        @Override
        public String getName() {
            return "test";
        }

        @Override
        public boolean isLoggable(Level level) {
            return true;
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
            lines.add(level + " " + msg);
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String format, Object... params) {
            lines.add(level + " " + format);
        }

        @Override
        public void log(Level level, Supplier<String> supplier) {
            lines.add(level + " " + supplier.get());
        }
    }

    private final Backend backend = new Backend();
    private final Waker waker = new Waker();
    private final Log log = new Log();
    private final UartCore core = new UartCore("com1", backend, waker, 8, log);

    private static byte[] bytes(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) ('a' + i);
        }
        return b;
    }

    @Test
    void outputIsOfferedAtOnceAndWhatIsLeftWakesThePoller() {
        backend.room = 2;
        for (int i = 0; i < 3; i++) {
            assertTrue(core.pushTx('x' + i));
        }
        core.offerTx();
        assertEquals("xy", backend.written.toString());
        assertEquals(1, core.tx().size());
        assertEquals(1, waker.wakes, "the byte the backend did not take is left to the poll");
        backend.room = 10;
        assertEquals(1, core.drainTx());
        assertEquals("xyz", backend.written.toString());
    }

    @Test
    void aFullTransmitBufferDropsAndCounts() {
        backend.room = 0;
        for (int i = 0; i < 8; i++) {
            assertTrue(core.pushTx(i));
        }
        assertFalse(core.pushTx(8));
        assertEquals(1, core.droppedTx());
        core.addDroppedTx(3);
        assertEquals(4, core.droppedTx());
    }

    @Test
    void inputStallsWhenFullAndResumesOnceHalfIsRead() {
        backend.input = bytes(20);
        assertEquals(8, core.fillRx(true));
        assertTrue(core.rx().isFull());
        for (int i = 0; i < 3; i++) {
            core.popRx();
        }
        assertEquals(0, waker.wakes, "5 of 8 still buffered: not yet");
        assertEquals('d', core.popRx());
        assertEquals(1, waker.wakes, "half free: the poll may pull again");
        core.popRx();
        assertEquals(1, waker.wakes, "one wake per stall");
        assertEquals(5, core.fillRx(true));
        assertEquals(0, core.fillRx(false), "a gated receiver pulls nothing");
    }

    @Test
    void clearingAStalledReceiveBufferResumesInput() {
        backend.input = bytes(8);
        core.fillRx(true);
        assertEquals(8, core.clearRx());
        assertEquals(1, waker.wakes);
        assertEquals(0, core.clearRx());
        assertEquals(1, waker.wakes, "not stalled any more");
    }

    @Test
    void aFailingBackendDropsPendingOutputAndIsLoggedRateLimited() {
        backend.room = 0;
        core.pushTx('a');
        core.pushTx('b');
        backend.broken = new IllegalStateException("socket gone");
        core.offerTx(); // swallowed: the poll handles it
        RuntimeException e = assertThrows(IllegalStateException.class, core::backendConnected);
        core.backendFailed(e);
        core.backendFailed(e);
        assertEquals(0, core.tx().size());
        assertEquals(2, core.droppedTx());
        assertEquals(List.of("WARNING serial 'com1': backend failed (java.lang.IllegalStateException: socket gone);"
                + " output dropped"), log.lines, "one line per 10 s");
        assertFalse(core.backendConnectedOrFalse());
    }

    @Test
    void resetAndRestoreReplaceTheBuffers() {
        core.restore(new byte[] {1, 2}, new byte[] {3});
        assertEquals(2, core.rx().size());
        assertEquals(1, core.tx().size());
        core.reset();
        assertTrue(core.rx().isEmpty());
        assertTrue(core.tx().isEmpty());
    }
}
