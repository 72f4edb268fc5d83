package io.jvmm.api.support;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.serial.SerialBackend;
import io.jvmm.api.serial.SerialBackendListener;
import java.io.ByteArrayOutputStream;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.Test;

class ByteRingTest {
    /** A backend that takes at most {@code writeLimit} bytes per write and serves {@code input}. */
    private static final class ScriptedBackend implements SerialBackend {
        final ByteArrayOutputStream written = new ByteArrayOutputStream();
        final int writeLimit;
        byte[] input = new byte[0];
        int inputPos;
        int writeCalls;

        ScriptedBackend(int writeLimit) {
            this.writeLimit = writeLimit;
        }

        @Override
        public boolean isConnected() {
            return true;
        }

        @Override
        public int write(byte[] data, int offset, int length) {
            writeCalls++;
            int n = Math.min(length, writeLimit);
            written.write(data, offset, n);
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

    @Test
    void isAFifoThatWrapsAndRefusesWhenFull() {
        ByteRing ring = new ByteRing(3);
        assertTrue(ring.isEmpty());
        assertEquals(3, ring.capacity());
        assertTrue(ring.push(1));
        assertTrue(ring.push(2));
        assertEquals(1, ring.pop());
        assertTrue(ring.push(3));
        assertTrue(ring.push(0x1FF), "only the low 8 bits are kept");
        assertTrue(ring.isFull());
        assertFalse(ring.push(5), "a full ring refuses");
        assertEquals(3, ring.size());
        assertEquals(2, ring.peek(0));
        assertEquals(0xFF, ring.peek(2));
        assertArrayEquals(new byte[] {2, 3, (byte) 0xFF}, ring.toArray());
        assertEquals(2, ring.pop());
        assertEquals(3, ring.pop());
        assertEquals(0xFF, ring.pop());
        assertTrue(ring.isEmpty());
        assertThrows(NoSuchElementException.class, ring::pop);
        assertThrows(IndexOutOfBoundsException.class, () -> ring.peek(0));
    }

    @Test
    void replaceNewestMarksAnOverrun() {
        ByteRing ring = new ByteRing(2);
        ring.push(0xAA);
        ring.push(0xBB);
        if (!ring.push(0xCC)) {
            ring.replaceNewest(0x00);
        }
        assertArrayEquals(new byte[] {(byte) 0xAA, 0x00}, ring.toArray());
        ring.clear();
        assertThrows(NoSuchElementException.class, () -> ring.replaceNewest(0));
    }

    @Test
    void loadReplacesTheContentsAndChecksTheSize() {
        ByteRing ring = new ByteRing(4);
        ring.push(9);
        ring.push(9);
        ring.pop(); // head is off zero
        ring.load(new byte[] {1, 2, 3});
        assertArrayEquals(new byte[] {1, 2, 3}, ring.toArray());
        assertTrue(ring.push(4));
        assertTrue(ring.isFull());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ring.load(new byte[5]));
        assertTrue(e.getMessage().contains("5 bytes"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ByteRing(0));
    }

    @Test
    void writeToOffersContiguousRunsAndKeepsWhatTheBackendRefused() {
        ByteRing ring = new ByteRing(4);
        ring.push(0);
        ring.push(0);
        ring.pop();
        ring.pop(); // head at 2: the next four bytes wrap
        for (int b = 1; b <= 4; b++) {
            ring.push(b);
        }
        ScriptedBackend backend = new ScriptedBackend(1);
        assertEquals(1, ring.writeTo(backend));
        assertEquals(3, ring.size());
        backend = new ScriptedBackend(100);
        assertEquals(1, ring.writeTo(backend), "the run ends at the array's end");
        assertEquals(2, ring.writeTo(backend), "then the wrapped part");
        assertEquals(0, ring.writeTo(backend));
        assertArrayEquals(new byte[] {2, 3, 4}, backend.written.toByteArray());
        assertEquals(2, backend.writeCalls, "no call for an empty ring");
    }

    @Test
    void readFromFillsFreeRunsUpToCapacity() {
        ByteRing ring = new ByteRing(4);
        ring.push(7);
        ring.push(7);
        ring.pop(); // head 1, one byte held
        ScriptedBackend backend = new ScriptedBackend(0);
        backend.input = new byte[] {10, 11, 12, 13, 14};
        assertEquals(2, ring.readFrom(backend), "up to the array's end");
        assertEquals(1, ring.readFrom(backend), "then the wrapped free byte");
        assertEquals(0, ring.readFrom(backend), "full");
        assertArrayEquals(new byte[] {7, 10, 11, 12}, ring.toArray());
        assertEquals(3, backend.inputPos, "the rest stays in the backend");
    }
}
