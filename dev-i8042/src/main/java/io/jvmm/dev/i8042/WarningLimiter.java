package io.jvmm.dev.i8042;

import java.util.function.LongSupplier;

/**
 * Lets through at most {@link #BURST} warnings per {@link #WINDOW_NANOS}, so a guest hammering a
 * bad command cannot flood the log. One per device instance; asking costs no allocation, so
 * callers build the message only when it will be logged.
 */
final class WarningLimiter {
    static final int BURST = 10;
    static final long WINDOW_NANOS = 5_000_000_000L;

    private final LongSupplier nanos;
    private long windowStart;
    private int inWindow;
    private long suppressed;
    private boolean started;

    WarningLimiter(LongSupplier nanos) {
        this.nanos = nanos;
    }

    /** Whether the next warning may be logged now. */
    boolean allow() {
        long now = nanos.getAsLong();
        if (!started || now - windowStart >= WINDOW_NANOS) {
            started = true;
            windowStart = now;
            inWindow = 0;
        }
        if (inWindow < BURST) {
            inWindow++;
            return true;
        }
        suppressed++;
        return false;
    }

    /** Warnings not logged so far. */
    long suppressed() {
        return suppressed;
    }
}
