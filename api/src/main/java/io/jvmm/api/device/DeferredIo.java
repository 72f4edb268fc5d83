package io.jvmm.api.device;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * An access the device will complete later, from another thread. The vCPU that made it waits
 * (bounded by the board's timeout, after which the access fails with {@link IoError#NO_RESPONSE}).
 * Completing twice is ignored.
 */
public final class DeferredIo implements IoResult {
    private final int length;
    private final CountDownLatch done = new CountDownLatch(1);
    private volatile long value;
    private volatile IoError error;

    /** A deferred access of {@code length} bytes. */
    public DeferredIo(int length) {
        if (length < 1 || length > 8) {
            throw new IllegalArgumentException("deferred access length must be 1..8, was " + length);
        }
        this.length = length;
    }

    public int length() {
        return length;
    }

    /** Completes a read with the little-endian {@code value} (or a write, ignoring it). */
    public void complete(long value) {
        if (done.getCount() == 0) {
            return;
        }
        this.value = value;
        done.countDown();
    }

    public void completeError(IoError error) {
        if (done.getCount() == 0) {
            return;
        }
        this.error = Objects.requireNonNull(error);
        done.countDown();
    }

    /**
     * Waits for completion and copies a read's bytes into {@code data}.
     *
     * @return null on success, else the error (including {@link IoError#NO_RESPONSE} on timeout)
     */
    public IoError await(byte[] data, Duration timeout) throws InterruptedException {
        if (!done.await(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
            return IoError.NO_RESPONSE;
        }
        if (error != null) {
            return error;
        }
        IoData.put(data, value);
        return null;
    }
}
