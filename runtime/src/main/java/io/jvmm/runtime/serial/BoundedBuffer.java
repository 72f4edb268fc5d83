package io.jvmm.runtime.serial;

/**
 * A thread-safe byte FIFO of fixed capacity, shared by a device-facing side (never blocks) and a
 * pump thread (may wait). Waiters are woken on every change and on {@link #close()}.
 */
final class BoundedBuffer {
    private final byte[] data;
    private int head;
    private int size;
    private boolean closed;

    BoundedBuffer(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive, was " + capacity);
        }
        this.data = new byte[capacity];
    }

    int capacity() {
        return data.length;
    }

    synchronized int size() {
        return size;
    }

    synchronized boolean isClosed() {
        return closed;
    }

    /** Appends as many bytes as fit; returns how many. Never blocks. */
    synchronized int offer(byte[] src, int offset, int length) {
        int n = Math.min(length, data.length - size);
        int tail = (head + size) % data.length;
        int first = Math.min(n, data.length - tail);
        System.arraycopy(src, offset, data, tail, first);
        System.arraycopy(src, offset + first, data, 0, n - first);
        size += n;
        if (n > 0) {
            notifyAll();
        }
        return n;
    }

    /** Removes up to {@code length} bytes into {@code dst}; returns how many. Never blocks. */
    synchronized int poll(byte[] dst, int offset, int length) {
        int n = Math.min(length, size);
        int first = Math.min(n, data.length - head);
        System.arraycopy(data, head, dst, offset, first);
        System.arraycopy(data, 0, dst, offset + first, n - first);
        head = (head + n) % data.length;
        size -= n;
        if (n > 0) {
            notifyAll();
        }
        return n;
    }

    /** Waits until there is data or the buffer is closed; then {@link #poll}s (0 means closed and empty). */
    synchronized int take(byte[] dst, int offset, int length) throws InterruptedException {
        while (size == 0 && !closed) {
            wait();
        }
        return poll(dst, offset, length);
    }

    /** Waits until there is free space or the buffer is closed; returns the free space (0 when closed). */
    synchronized int awaitSpace() throws InterruptedException {
        while (size == data.length && !closed) {
            wait();
        }
        return closed ? 0 : data.length - size;
    }

    /** Drops all content; returns how many bytes were dropped. */
    synchronized int clear() {
        int n = size;
        head = 0;
        size = 0;
        notifyAll();
        return n;
    }

    /** Wakes all waiters; {@link #take} drains what is left, then returns 0. Offers still work. */
    synchronized void close() {
        closed = true;
        notifyAll();
    }
}
