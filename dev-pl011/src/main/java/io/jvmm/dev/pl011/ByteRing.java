package io.jvmm.dev.pl011;

import io.jvmm.api.serial.SerialBackend;

/** A fixed-capacity byte ring used under the device lock. Nothing here allocates. */
final class ByteRing {
    private final byte[] data;
    private int head;
    private int size;

    ByteRing(int capacity) {
        this.data = new byte[capacity];
    }

    int capacity() {
        return data.length;
    }

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    boolean isFull() {
        return size == data.length;
    }

    /** Appends one byte; false (and nothing stored) when full. */
    boolean push(int b) {
        if (size == data.length) {
            return false;
        }
        data[(head + size) % data.length] = (byte) b;
        size++;
        return true;
    }

    /** Removes the oldest byte; the caller checks {@link #isEmpty()} first. */
    int pop() {
        int b = data[head] & 0xFF;
        head = (head + 1) % data.length;
        size--;
        return b;
    }

    /** The byte {@code i} places behind the oldest. */
    int peek(int i) {
        return data[(head + i) % data.length] & 0xFF;
    }

    void clear() {
        head = 0;
        size = 0;
    }

    /** Offers the oldest contiguous run to {@code backend} and drops what it took; returns that count. */
    int writeTo(SerialBackend backend) {
        int run = Math.min(size, data.length - head);
        if (run == 0) {
            return 0;
        }
        int n = Math.max(0, Math.min(run, backend.write(data, head, run)));
        head = (head + n) % data.length;
        size -= n;
        return n;
    }

    /** Fills the next contiguous free run from {@code backend}; returns the count read. */
    int readFrom(SerialBackend backend) {
        int tail = (head + size) % data.length;
        int run = Math.min(data.length - size, data.length - tail);
        if (run == 0) {
            return 0;
        }
        int n = Math.max(0, Math.min(run, backend.read(data, tail, run)));
        size += n;
        return n;
    }
}
