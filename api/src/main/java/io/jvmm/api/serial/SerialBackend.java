package io.jvmm.api.serial;

/**
 * The host side of a UART. Every method is non-blocking and safe to call under a device lock:
 * backends do their own I/O on their own threads, and call the {@link SerialBackendListener} when
 * something changed (input arrived, output space freed, a client connected or left).
 */
public interface SerialBackend extends AutoCloseable {
    /** Whether a peer is attached (drives DCD/DSR/CTS). */
    boolean isConnected();

    /**
     * Offers bytes for output. Returns how many were taken (0 when the backend's bounded buffer is
     * full: the device keeps the rest and retries when the listener fires). While disconnected,
     * backends take and drop everything.
     */
    int write(byte[] data, int offset, int length);

    /** Copies available input into {@code data}; returns the count, 0 when nothing is waiting. */
    int read(byte[] data, int offset, int length);

    /** Registers the one listener (the device's waker). */
    void setListener(SerialBackendListener listener);

    /**
     * Queues {@code data} as if the host side had sent it (the control socket's
     * {@code serial-send}). Returns false when this backend cannot take injected input.
     */
    default boolean injectInput(byte[] data) {
        return false;
    }

    /**
     * Waits (briefly, bounded by the backend) until the output taken so far has reached its
     * destination, e.g. when the VM has stopped and its log file is about to be read.
     */
    default void flush() {}

    /** Bytes dropped because nobody was connected or the output buffer overflowed. */
    default long droppedBytes() {
        return 0;
    }

    /** Flushes buffered output and releases host resources. Idempotent. */
    @Override
    void close();
}
