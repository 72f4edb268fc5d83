package io.jvmm.runtime.serial;

import io.jvmm.api.serial.SerialBackend;
import io.jvmm.api.serial.SerialBackendListener;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A backend on a pair of blocking streams (the console, a file), always connected. Output goes
 * through a bounded queue to a writer thread that flushes after every chunk; input, if any, is
 * read by a reader thread into a bounded queue. If the output stream fails, further output is
 * dropped and counted rather than blocking the guest.
 */
public final class StreamSerialBackend implements SerialBackend {
    /** Queue size of each direction unless given. */
    public static final int DEFAULT_CAPACITY = 64 * 1024;

    private static final Logger LOG = LoggerFactory.getLogger(StreamSerialBackend.class);
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(5);

    private final String name;
    private final OutputStream out;
    private final InputStream in;
    private final boolean closeStreams;
    private final OutputPump output;
    private final InputPump input;
    private final BoundedBuffer injected = new BoundedBuffer(4096);
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile boolean outputFailed;
    private volatile SerialBackendListener listener = () -> {};

    /**
     * @param name names the threads ({@code jvmm-serial-<name>-out/-in}) and log messages
     * @param in input, or null for an output-only backend
     * @param out output
     * @param closeStreams whether {@link #close()} closes the streams (false for System.in/out)
     */
    public StreamSerialBackend(String name, InputStream in, OutputStream out, boolean closeStreams) {
        this(name, in, out, closeStreams, DEFAULT_CAPACITY);
    }

    public StreamSerialBackend(String name, InputStream in, OutputStream out, boolean closeStreams, int capacity) {
        this.name = name;
        this.out = out;
        this.in = in;
        this.closeStreams = closeStreams;
        this.output = new OutputPump(name + "-out", capacity, (data, off, len) -> {
            out.write(data, off, len);
            out.flush();
        }, this::notifyListener, this::outputFailed);
        this.input = in == null ? null
                : new InputPump(name + "-in", capacity, in::read, this::notifyListener, () -> {});
    }

    @Override
    public boolean isConnected() {
        return true;
    }

    @Override
    public int write(byte[] data, int offset, int length) {
        if (outputFailed || closed.get()) {
            dropped.addAndGet(length);
            return length;
        }
        return output.offer(data, offset, length);
    }

    @Override
    public int read(byte[] data, int offset, int length) {
        int n = injected.poll(data, offset, length);
        if (n > 0) {
            return n;
        }
        return input == null ? 0 : input.poll(data, offset, length);
    }

    /** Queues control-socket input ahead of the stream's; false when it does not fit. */
    @Override
    public boolean injectInput(byte[] data) {
        if (closed.get() || injected.capacity() - injected.size() < data.length) {
            return false;
        }
        injected.offer(data, 0, data.length);
        notifyListener();
        return true;
    }

    @Override
    public void setListener(SerialBackendListener listener) {
        this.listener = listener;
    }

    @Override
    public long droppedBytes() {
        return dropped.get();
    }

    @Override
    public void flush() {
        output.flush(DRAIN_TIMEOUT);
    }

    /** Bytes queued for output and not yet written. */
    public int queuedOutput() {
        return output.queued();
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (!output.closeAndDrain(DRAIN_TIMEOUT)) {
            dropped.addAndGet(output.discard());
            LOG.warn("serial '{}': output did not drain within {} s; the rest was dropped",
                    name, DRAIN_TIMEOUT.toSeconds());
        }
        if (input != null) {
            input.close();
        }
        if (closeStreams) {
            closeQuietly(out);
            if (in != null) {
                closeQuietly(in);
            }
        }
    }

    private void outputFailed(IOException e, int lostInFlight) {
        outputFailed = true;
        dropped.addAndGet(lostInFlight + output.discard());
        LOG.warn("serial '{}': output failed ({}); further output is dropped", name, e.toString());
        notifyListener();
    }

    private void notifyListener() {
        listener.changed();
    }

    private void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            LOG.debug("serial '{}': close failed", name, e);
        }
    }
}
