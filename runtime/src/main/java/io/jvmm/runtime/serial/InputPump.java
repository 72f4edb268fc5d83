package io.jvmm.runtime.serial;

import java.io.IOException;

/**
 * Moves bytes from a blocking source into a bounded buffer on its own daemon thread. When the
 * buffer is full the thread stops reading, so the host side is back-pressured and no byte is lost.
 */
final class InputPump {
    /** Where the bytes come from. Called only from the pump thread. */
    interface Source {
        /** Blocks for at least one byte; -1 at end of stream. */
        int read(byte[] data, int offset, int length) throws IOException;
    }

    private static final int CHUNK = 4096;

    private final BoundedBuffer buffer;
    private final Source source;
    private final Runnable arrived;
    private final Runnable ended;

    /**
     * @param arrived runs after new bytes were queued
     * @param ended runs once when the source ends or fails (not after {@link #close()})
     */
    InputPump(String threadName, int capacity, Source source, Runnable arrived, Runnable ended) {
        this.buffer = new BoundedBuffer(capacity);
        this.source = source;
        this.arrived = arrived;
        this.ended = ended;
        SerialThreads.start(threadName, this::run);
    }

    /** Takes queued input; never blocks. */
    int poll(byte[] data, int offset, int length) {
        return buffer.poll(data, offset, length);
    }

    int queued() {
        return buffer.size();
    }

    /** Stops the thread once it is back from the source (closing the source is the caller's job). */
    void close() {
        buffer.close();
    }

    private void run() {
        byte[] chunk = new byte[CHUNK];
        try {
            while (true) {
                int free = buffer.awaitSpace();
                if (free == 0) {
                    return;
                }
                int n = source.read(chunk, 0, Math.min(free, chunk.length));
                if (buffer.isClosed()) {
                    return;
                }
                if (n < 0) {
                    ended.run();
                    return;
                }
                if (n > 0) {
                    // Only this thread adds, so the space seen above is still there.
                    buffer.offer(chunk, 0, n);
                    arrived.run();
                }
            }
        } catch (IOException e) {
            if (!buffer.isClosed()) {
                ended.run();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
