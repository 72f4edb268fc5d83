package io.jvmm.dev.pm;

/**
 * Lets at most {@code burst} warnings through per {@code windowNanos}, so a guest hammering an
 * unknown register cannot flood the log. One instance per device; not thread-safe (callers hold
 * the device lock).
 */
final class RateLimitedWarning {
    private final int burst;
    private final long windowNanos;
    private long windowStart;
    private int inWindow;
    private long suppressed;

    RateLimitedWarning(int burst, long windowNanos) {
        this.burst = burst;
        this.windowNanos = windowNanos;
        this.windowStart = System.nanoTime() - windowNanos;
    }

    /** Whether a warning may be logged at {@code nowNanos} (a monotonic time). */
    boolean tryAcquire(long nowNanos) {
        if (nowNanos - windowStart >= windowNanos) {
            windowStart = nowNanos;
            inWindow = 0;
        }
        if (inWindow < burst) {
            inWindow++;
            return true;
        }
        suppressed++;
        return false;
    }

    /** Warnings dropped so far, reported alongside the next one that gets through. */
    long suppressed() {
        return suppressed;
    }
}
