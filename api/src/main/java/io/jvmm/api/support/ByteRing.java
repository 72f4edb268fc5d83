package io.jvmm.api.support;

import io.jvmm.api.serial.SerialBackend;
import java.util.NoSuchElementException;

/**
 * A bounded FIFO of bytes on a fixed array, for device FIFOs (UART receive/transmit buffers, PS/2
 * output queues). Nothing but {@link #toArray()} allocates, so it is safe on the I/O path. Not
 * thread-safe: use it under the device's lock.
 */
public final class ByteRing {
    private final byte[] data;
    private int head;
    private int size;

    /** An empty ring of {@code capacity} bytes. */
    public ByteRing(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("ring capacity must be positive, not " + capacity);
        }
        this.data = new byte[capacity];
    }

    public int capacity() {
        return data.length;
    }

    public int size() {
        return size;
    }

    public boolean isEmpty() {
        return size == 0;
    }

    public boolean isFull() {
        return size == data.length;
    }

    /** Appends the low 8 bits of {@code b}; false (and nothing stored) when full. */
    public boolean push(int b) {
        if (size == data.length) {
            return false;
        }
        data[index(size)] = (byte) b;
        size++;
        return true;
    }

    /** Removes and returns the oldest byte (0..255). Check {@link #isEmpty()} first. */
    public int pop() {
        if (size == 0) {
            throw new NoSuchElementException("ring is empty");
        }
        int b = data[head] & 0xFF;
        head = index(1);
        size--;
        return b;
    }

    /** The byte {@code i} places behind the oldest (0 is the oldest), without removing it. */
    public int peek(int i) {
        if (i < 0 || i >= size) {
            throw new IndexOutOfBoundsException("byte " + i + " of a ring holding " + size);
        }
        return data[index(i)] & 0xFF;
    }

    /**
     * Overwrites the newest byte, e.g. with an overrun marker when a byte did not fit (PS/2 devices
     * replace the last byte of a full queue with 0x00).
     */
    public void replaceNewest(int b) {
        if (size == 0) {
            throw new NoSuchElementException("ring is empty");
        }
        data[index(size - 1)] = (byte) b;
    }

    public void clear() {
        head = 0;
        size = 0;
    }

    /** The bytes held, oldest first; for saved state. */
    public byte[] toArray() {
        byte[] out = new byte[size];
        for (int i = 0; i < size; i++) {
            out[i] = data[index(i)];
        }
        return out;
    }

    /** Replaces the contents with {@code bytes}, oldest first; for restoring saved state. */
    public void load(byte[] bytes) {
        if (bytes.length > data.length) {
            throw new IllegalArgumentException(bytes.length + " bytes do not fit a ring of " + data.length);
        }
        clear();
        System.arraycopy(bytes, 0, data, 0, bytes.length);
        size = bytes.length;
    }

    /**
     * Offers the oldest contiguous run to {@code backend} and drops what it took. Returns that count;
     * call again while it is positive to drain a run that wraps.
     */
    public int writeTo(SerialBackend backend) {
        int run = Math.min(size, data.length - head);
        if (run == 0) {
            return 0;
        }
        int n = Math.max(0, Math.min(run, backend.write(data, head, run)));
        head = index(n);
        size -= n;
        return n;
    }

    /**
     * Fills the next contiguous free run from {@code backend}. Returns the count read; call again
     * while it is positive to fill space that wraps.
     */
    public int readFrom(SerialBackend backend) {
        int tail = index(size);
        int run = Math.min(data.length - size, data.length - tail);
        if (run == 0) {
            return 0;
        }
        int n = Math.max(0, Math.min(run, backend.read(data, tail, run)));
        size += n;
        return n;
    }

    /** The array index {@code offset} places after the head. */
    private int index(int offset) {
        int i = head + offset;
        return i >= data.length ? i - data.length : i;
    }
}
