package io.jvmm.dev.i8042;

/**
 * A small bounded FIFO of bytes on a fixed ring, so device I/O never allocates. Pushing into a
 * full queue replaces the newest byte with 0x00, the PS/2 overrun marker.
 */
final class ByteQueue {
    private final byte[] ring;
    private int head;
    private int size;

    ByteQueue(int capacity) {
        ring = new byte[capacity];
    }

    int capacity() {
        return ring.length;
    }

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    void push(int value) {
        if (size == ring.length) {
            ring[(head + size - 1) % ring.length] = 0;
            return;
        }
        ring[(head + size) % ring.length] = (byte) value;
        size++;
    }

    /** The oldest byte, removed. Only call when not empty. */
    int pop() {
        int v = ring[head] & 0xFF;
        head = (head + 1) % ring.length;
        size--;
        return v;
    }

    void clear() {
        head = 0;
        size = 0;
    }

    /** The queued bytes, oldest first (for saved state). */
    byte[] toArray() {
        byte[] out = new byte[size];
        for (int i = 0; i < size; i++) {
            out[i] = ring[(head + i) % ring.length];
        }
        return out;
    }

    /** Replaces the contents; {@code bytes.length} must not exceed the capacity. */
    void load(byte[] bytes) {
        if (bytes.length > ring.length) {
            throw new IllegalArgumentException(bytes.length + " bytes do not fit a queue of " + ring.length);
        }
        clear();
        for (byte b : bytes) {
            push(b);
        }
    }
}
