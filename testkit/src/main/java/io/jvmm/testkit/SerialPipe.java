package io.jvmm.testkit;

import io.jvmm.api.serial.SerialBackend;
import io.jvmm.api.serial.SerialBackendListener;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * An in-memory serial line for tests: {@link #backend()} is what the device gets; the other
 * methods are the host's end. Output waits in a bounded buffer until the host reads it with
 * {@link #hostOutput()}, so a test can make the backend refuse bytes (back-pressure) by not reading.
 * Host input is queued without bound and handed out only while connected.
 */
public final class SerialPipe {
    /** Output capacity unless given. */
    public static final int DEFAULT_CAPACITY = 64 * 1024;

    private final Object lock = new Object();
    private final byte[] output;
    private int outputSize;
    private final StringBuilder transcript = new StringBuilder();
    private byte[] input = new byte[256];
    private int inputHead;
    private int inputTail;
    private boolean connected;
    private long dropped;
    private long totalWritten;
    private volatile SerialBackendListener listener = () -> {};
    private final Backend backend = new Backend();

    /** A connected pipe with the default output capacity. */
    public SerialPipe() {
        this(DEFAULT_CAPACITY, true);
    }

    /**
     * @param outputCapacity how many output bytes the backend holds before it refuses more
     * @param connected the initial connectivity
     */
    public SerialPipe(int outputCapacity, boolean connected) {
        if (outputCapacity < 1) {
            throw new IllegalArgumentException("output capacity must be positive, was " + outputCapacity);
        }
        this.output = new byte[outputCapacity];
        this.connected = connected;
    }

    /** The device side. */
    public SerialBackend backend() {
        return backend;
    }

    /** Queues host input for the device and notifies it. */
    public void hostWrite(byte[] bytes) {
        synchronized (lock) {
            int used = inputTail - inputHead;
            if (input.length - inputTail < bytes.length) {
                byte[] bigger = new byte[Math.max(input.length * 2, used + bytes.length)];
                System.arraycopy(input, inputHead, bigger, 0, used);
                input = bigger;
                inputHead = 0;
                inputTail = used;
            }
            System.arraycopy(bytes, 0, input, inputTail, bytes.length);
            inputTail += bytes.length;
        }
        listener.changed();
    }

    public void hostWrite(String text) {
        hostWrite(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Host input the device has not taken yet. */
    public int pendingInput() {
        synchronized (lock) {
            return inputTail - inputHead;
        }
    }

    /**
     * Takes the device's buffered output (freeing space, and notifying the device if any was taken)
     * and returns everything taken so far, one char per byte (ISO-8859-1).
     */
    public String hostOutput() {
        boolean freed;
        String all;
        synchronized (lock) {
            freed = outputSize > 0;
            for (int i = 0; i < outputSize; i++) {
                transcript.append((char) (output[i] & 0xFF));
            }
            outputSize = 0;
            all = transcript.toString();
        }
        if (freed) {
            listener.changed();
        }
        return all;
    }

    /** The output taken so far as bytes; see {@link #hostOutput()}. */
    public byte[] hostOutputBytes() {
        return hostOutput().getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Forgets the output taken so far. */
    public void clearTranscript() {
        synchronized (lock) {
            transcript.setLength(0);
        }
    }

    /** Output the backend holds that the host has not read. */
    public int bufferedOutput() {
        synchronized (lock) {
            return outputSize;
        }
    }

    /** Every byte the backend ever took (kept or dropped). */
    public long totalWritten() {
        synchronized (lock) {
            return totalWritten;
        }
    }

    /**
     * Reads output until it contains {@code expected} or {@code timeout} passes.
     *
     * @return whether it appeared
     */
    public boolean awaitOutput(String expected, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!hostOutput().contains(expected)) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            Thread.sleep(2);
        }
        return true;
    }

    /** Connects or disconnects the host end and notifies the device. */
    public void setConnected(boolean connected) {
        synchronized (lock) {
            this.connected = connected;
        }
        listener.changed();
    }

    private final class Backend implements SerialBackend {
        @Override
        public boolean isConnected() {
            synchronized (lock) {
                return connected;
            }
        }

        @Override
        public int write(byte[] data, int offset, int length) {
            synchronized (lock) {
                if (!connected) {
                    dropped += length;
                    totalWritten += length;
                    return length;
                }
                int n = Math.min(length, output.length - outputSize);
                System.arraycopy(data, offset, output, outputSize, n);
                outputSize += n;
                totalWritten += n;
                return n;
            }
        }

        @Override
        public int read(byte[] data, int offset, int length) {
            synchronized (lock) {
                if (!connected) {
                    return 0;
                }
                int n = Math.min(length, inputTail - inputHead);
                System.arraycopy(input, inputHead, data, offset, n);
                inputHead += n;
                if (inputHead == inputTail) {
                    inputHead = 0;
                    inputTail = 0;
                }
                return n;
            }
        }

        @Override
        public void setListener(SerialBackendListener l) {
            listener = l;
        }

        @Override
        public long droppedBytes() {
            synchronized (lock) {
                return dropped;
            }
        }

        @Override
        public void close() {}
    }
}
