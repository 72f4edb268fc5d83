package io.jvmm.api.support;

import io.jvmm.api.device.DeviceWaker;
import io.jvmm.api.serial.SerialBackend;
import java.util.Objects;

/**
 * What every UART model shares, between the guest-visible registers and a {@link SerialBackend}:
 * a bounded receive and transmit buffer (each {@link ByteRing} of {@code bufferSize} bytes, more than
 * the model's FIFO so that the backend is driven in batches), the backend pump run from the device's
 * poll, the receive stall (when the receive buffer is full the poll stops pulling input, and the
 * guest's reads wake the poller again once half of it has drained), counts of dropped output, and a
 * rate-limited warning when the backend fails.
 *
 * <p>The model keeps its registers and interrupt logic, and decides when to transmit and receive
 * (loopback, enable bits, modem control); FIFO levels and triggers are read from {@link #rx()} and
 * {@link #tx()}. Not thread-safe: call it under the device lock, like the model itself. The guest
 * paths allocate nothing.
 */
public final class UartCore {
    private static final long LOG_INTERVAL_NANOS = 10_000_000_000L;

    private final String name;
    private final SerialBackend backend;
    private final DeviceWaker waker;
    private final System.Logger log;
    private final ByteRing rx;
    private final ByteRing tx;
    private final LogRateLimiter backendErrorLog = new LogRateLimiter(1, LOG_INTERVAL_NANOS, System::nanoTime);
    /** The last poll stopped pulling input because RX was full: reading RX must wake the poller. */
    private boolean rxStalled;
    private long droppedTx;

    /**
     * @param name the device's name, for the backend-failure warning
     * @param backend the host side
     * @param waker the device's waker: pulled input, freed space and stalls are handled by its poll
     * @param bufferSize bytes buffered per direction
     * @param log where backend failures are reported (as warnings, at most one per 10 s)
     */
    public UartCore(String name, SerialBackend backend, DeviceWaker waker, int bufferSize, System.Logger log) {
        this.name = Objects.requireNonNull(name, "name");
        this.backend = Objects.requireNonNull(backend, "backend");
        this.waker = Objects.requireNonNull(waker, "waker");
        this.log = Objects.requireNonNull(log, "log");
        this.rx = new ByteRing(bufferSize);
        this.tx = new ByteRing(bufferSize);
    }

    /** Received bytes waiting for the guest. */
    public ByteRing rx() {
        return rx;
    }

    /** Guest bytes waiting for the backend. */
    public ByteRing tx() {
        return tx;
    }

    // ---- guest side (vCPU thread, device lock)

    /**
     * Takes the oldest received byte (the receive buffer must not be empty); wakes the poller when
     * input was stalled and half of the buffer is free again.
     */
    public int popRx() {
        int b = rx.pop();
        if (rxStalled && rx.size() <= rx.capacity() / 2) {
            rxStalled = false;
            waker.wake();
        }
        return b;
    }

    /** Queues a guest byte for output; a full buffer drops it (counted in {@link #droppedTx()}). */
    public boolean pushTx(int b) {
        if (tx.push(b)) {
            return true;
        }
        droppedTx++;
        return false;
    }

    /**
     * Offers the queued output to the backend now (a non-blocking, bounded enqueue), and wakes the
     * poller for what the backend did not take. A failing backend is left to the next poll.
     */
    public void offerTx() {
        try {
            tx.writeTo(backend);
        } catch (RuntimeException e) {
            // the poll reports and handles a broken backend
        }
        if (!tx.isEmpty()) {
            waker.wake();
        }
    }

    /** Empties the receive buffer (a FIFO reset), resuming stalled input; returns the bytes dropped. */
    public int clearRx() {
        int n = rx.size();
        rx.clear();
        if (rxStalled) {
            rxStalled = false;
            waker.wake();
        }
        return n;
    }

    /** Empties the transmit buffer; returns the bytes dropped. */
    public int clearTx() {
        int n = tx.size();
        tx.clear();
        return n;
    }

    // ---- backend side (poll thread, device lock)

    /** Whether a peer is attached. May throw if the backend is broken; see {@link #backendFailed}. */
    public boolean backendConnected() {
        return backend.isConnected();
    }

    /** {@link #backendConnected()}, but a failing backend is logged and counts as disconnected (for reset). */
    public boolean backendConnectedOrFalse() {
        try {
            return backend.isConnected();
        } catch (RuntimeException e) {
            logBackendError(e);
            return false;
        }
    }

    /** Hands the queued output to the backend until it takes no more; returns the bytes taken. May throw. */
    public int drainTx() {
        int before = tx.size();
        while (!tx.isEmpty() && tx.writeTo(backend) > 0) {
            // The backend takes a contiguous run per call; a disconnected one takes everything.
        }
        return before - tx.size();
    }

    /**
     * Pulls input while {@code receive} (the model's gates: connected, enabled, not in loopback)
     * until the receive buffer is full or the backend has nothing more; a full buffer stalls input
     * until the guest drains it. Returns the bytes pulled. May throw.
     */
    public int fillRx(boolean receive) {
        rxStalled = false;
        if (!receive) {
            return 0;
        }
        int before = rx.size();
        while (!rx.isFull() && rx.readFrom(backend) > 0) {
            // Fill what fits; the rest stays in the backend.
        }
        rxStalled = rx.isFull();
        return rx.size() - before;
    }

    /**
     * A backend call threw: the pending output is dropped (a broken backend must not take the VMM
     * down, nor back-pressure the guest forever), and the failure is logged, rate-limited.
     */
    public void backendFailed(RuntimeException e) {
        droppedTx += clearTx();
        logBackendError(e);
    }

    private void logBackendError(RuntimeException e) {
        long suppressed = backendErrorLog.tryAcquire();
        if (suppressed != LogRateLimiter.SUPPRESSED) {
            log.log(System.Logger.Level.WARNING, "serial '" + name + "': backend failed (" + e
                    + "); output dropped" + LogRateLimiter.suppressedNote(suppressed));
        }
    }

    // ---- state

    /** Guest bytes dropped: a full transmit buffer, a failing backend, and what the model adds. */
    public long droppedTx() {
        return droppedTx;
    }

    /** Counts output the model itself dropped (e.g. a FIFO flush). */
    public void addDroppedTx(long n) {
        droppedTx += n;
    }

    /** Power-on: both buffers empty, input not stalled. */
    public void reset() {
        rx.clear();
        tx.clear();
        rxStalled = false;
    }

    /** Reloads both buffers from saved state. */
    public void restore(byte[] rxBytes, byte[] txBytes) {
        rx.load(rxBytes);
        tx.load(txBytes);
        rxStalled = false;
    }
}
