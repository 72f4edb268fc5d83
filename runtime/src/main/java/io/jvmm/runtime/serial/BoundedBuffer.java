package io.jvmm.runtime.serial;

/**
 * A thread-safe byte FIFO of fixed capacity, shared by a device-facing side (never blocks) and a
 * pump thread (may wait). An offer wakes a waiting taker only when it has something to do (the
 * buffer stopped being empty, or a lingering taker now has enough), so a guest writing one byte at
 * a time does not cost a thread wake-up per byte.
 */
final class BoundedBuffer {
    private final byte[] data;
    private int head;
    private int size;
    private boolean closed;
    /** A taker is lingering in {@link #takeBatch} until this many bytes are queued (0: none). */
    private int lingerFor;
    /** An offer could not take everything since the last {@link #takeRefused()}. */
    private boolean refused;
    /** Bytes handed to {@link #take}/{@link #takeBatch} callers that they have not confirmed done. */
    private int inFlight;
    /** Someone waits in {@link #awaitDrained}: takers stop lingering. */
    private int draining;

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
        boolean wasEmpty = size == 0;
        size += n;
        if (n < length) {
            refused = true;
        }
        if (n > 0 && (wasEmpty || (lingerFor > 0 && size >= lingerFor) || size == data.length)) {
            notifyAll();
        }
        return n;
    }

    /** Whether an offer came up short since the last call (then its writer waits to be told of space). */
    synchronized boolean takeRefused() {
        boolean r = refused;
        refused = false;
        return r;
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

    /**
     * Like {@link #take}, but once there is data, waits up to {@code lingerNanos} more for at least
     * {@code enough} bytes, so that trickling output is moved in batches.
     */
    synchronized int takeBatch(byte[] dst, int offset, int length, int enough, long lingerNanos)
            throws InterruptedException {
        while (size == 0 && !closed) {
            wait();
        }
        long end = System.nanoTime() + lingerNanos;
        lingerFor = Math.min(enough, data.length);
        try {
            while (size < lingerFor && !closed && draining == 0) {
                long left = end - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                wait(left / 1_000_000, (int) (left % 1_000_000));
            }
        } finally {
            lingerFor = 0;
        }
        return poll(dst, offset, length);
    }

    /** A taker reports that {@code n} bytes it took have reached their destination. */
    synchronized void done(int n) {
        inFlight -= n;
        notifyAll();
    }

    /** Like {@link #takeBatch}, counting what it returns as in flight until {@link #done}. */
    synchronized int takeBatchTracked(byte[] dst, int offset, int length, int enough, long lingerNanos)
            throws InterruptedException {
        int n = takeBatch(dst, offset, length, enough, lingerNanos);
        inFlight += n;
        return n;
    }

    /** Waits up to {@code nanos} until nothing is queued or in flight; true when drained. */
    synchronized boolean awaitDrained(long nanos) throws InterruptedException {
        long end = System.nanoTime() + nanos;
        draining++;
        notifyAll();
        try {
            while (size + inFlight > 0) {
                long left = end - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                wait(left / 1_000_000, (int) (left % 1_000_000));
            }
            return true;
        } finally {
            draining--;
        }
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
