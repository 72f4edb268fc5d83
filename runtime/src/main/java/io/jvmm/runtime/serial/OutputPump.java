package io.jvmm.runtime.serial;

import java.io.IOException;
import java.time.Duration;
import java.util.function.ObjIntConsumer;

/**
 * Moves bytes from a bounded buffer to a blocking sink on its own daemon thread, so the device
 * side never blocks: {@link #offer} takes what fits, and {@code spaceFreed} runs after a chunk the
 * sink accepted if an offer had come up short (the device retries then). Output that trickles in
 * a byte at a time is gathered for up to {@value #LINGER_MICROS} µs, so it costs one sink write per
 * batch instead of one per byte.
 */
final class OutputPump {
    /** Where the bytes go. Called only from the pump thread. */
    interface Sink {
        void write(byte[] data, int offset, int length) throws IOException;
    }

    private static final int CHUNK = 8192;
    /** Enough bytes to write without waiting for more. */
    private static final int BATCH = 512;
    static final long LINGER_MICROS = 500;

    private final BoundedBuffer buffer;
    private final Sink sink;
    private final Runnable spaceFreed;
    /** Told the error and how many bytes of the failed chunk were lost; the thread then ends. */
    private final ObjIntConsumer<IOException> failed;
    private final Thread thread;

    OutputPump(String threadName, int capacity, Sink sink, Runnable spaceFreed,
            ObjIntConsumer<IOException> failed) {
        this.buffer = new BoundedBuffer(capacity);
        this.sink = sink;
        this.spaceFreed = spaceFreed;
        this.failed = failed;
        this.thread = SerialThreads.start(threadName, this::run);
    }

    /** Queues as many bytes as fit; never blocks. */
    int offer(byte[] data, int offset, int length) {
        return buffer.offer(data, offset, length);
    }

    int queued() {
        return buffer.size();
    }

    /** Waits up to {@code timeout} until everything offered so far has been written; true if it was. */
    boolean flush(Duration timeout) {
        try {
            return buffer.awaitDrained(timeout.toNanos());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Drops everything queued; returns how many bytes were dropped. */
    int discard() {
        return buffer.clear();
    }

    /**
     * Stops accepting work once the queue is drained and waits up to {@code timeout} for that.
     *
     * @return whether everything queued reached the sink
     */
    boolean closeAndDrain(Duration timeout) {
        buffer.close();
        try {
            thread.join(Math.max(1, timeout.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return !thread.isAlive() && buffer.size() == 0;
    }

    private void run() {
        byte[] chunk = new byte[CHUNK];
        int n = 0;
        try {
            while (true) {
                n = buffer.takeBatchTracked(chunk, 0, chunk.length, BATCH, LINGER_MICROS * 1000);
                if (n == 0) {
                    return;
                }
                try {
                    sink.write(chunk, 0, n);
                } finally {
                    buffer.done(n);
                }
                if (buffer.takeRefused()) {
                    spaceFreed.run();
                }
            }
        } catch (IOException e) {
            failed.accept(e, n);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
