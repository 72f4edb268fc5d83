package io.jvmm.dev.battery;

/**
 * Lets a burst of warnings through, then at most one per interval, so that a guest hammering a
 * register cannot flood the log. Not thread-safe: used under the device's lock.
 */
final class WarnLimiter {
    private final int burst;
    private final long intervalNanos;
    private int allowed;
    private long lastRefill;
    private long suppressed;

    WarnLimiter(int burst, long intervalNanos) {
        this.burst = burst;
        this.intervalNanos = intervalNanos;
        this.allowed = burst;
        this.lastRefill = System.nanoTime();
    }

    /** Whether to log now. */
    boolean allow() {
        long now = System.nanoTime();
        if (now - lastRefill >= intervalNanos) {
            allowed = burst;
            lastRefill = now;
        }
        if (allowed > 0) {
            allowed--;
            return true;
        }
        suppressed++;
        return false;
    }

    /** How many warnings were dropped since the last call; resets the count. */
    long takeSuppressed() {
        long s = suppressed;
        suppressed = 0;
        return s;
    }
}
