package io.jvmm.runtime.board;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Admits at most {@code limit} events per window (one second by default) and counts the rest, so
 * that a guest storm of failing accesses cannot flood the log. One instance per device or per
 * board; there is no shared state. {@link #tryAcquire()} never allocates and takes no lock.
 *
 * <p>The window reset is racy by a few events under contention; for logging that is fine.
 */
public final class RateLimiter {
    /** Returned by {@link #tryAcquire()} when the event must be suppressed. */
    public static final long SUPPRESSED = -1;

    private final int limit;
    private final long windowNanos;
    private final LongSupplier nanoClock;
    private final AtomicLong windowStart;
    private final AtomicInteger admitted = new AtomicInteger();
    private final AtomicLong suppressed = new AtomicLong();

    /** At most {@code limit} events per second, on {@link System#nanoTime()}. */
    public RateLimiter(int limit) {
        this(limit, 1_000_000_000L, System::nanoTime);
    }

    public RateLimiter(int limit, long windowNanos, LongSupplier nanoClock) {
        if (limit < 1 || windowNanos < 1) {
            throw new IllegalArgumentException("rate limit and window must be positive");
        }
        this.limit = limit;
        this.windowNanos = windowNanos;
        this.nanoClock = nanoClock;
        this.windowStart = new AtomicLong(nanoClock.getAsLong());
    }

    /**
     * Whether to log the current event.
     *
     * @return {@link #SUPPRESSED} to drop it; otherwise the number of events suppressed since the
     *     last admitted one (usually 0), which the caller should mention ("suppressed K messages")
     */
    public long tryAcquire() {
        long now = nanoClock.getAsLong();
        long start = windowStart.get();
        if (now - start >= windowNanos && windowStart.compareAndSet(start, now)) {
            admitted.set(0);
        }
        // In a storm most calls take the first test: one read, then one increment of the suppressed count.
        if (admitted.get() >= limit || admitted.incrementAndGet() > limit) {
            suppressed.incrementAndGet();
            return SUPPRESSED;
        }
        return suppressed.getAndSet(0);
    }

    /** A suffix for the log line, empty when nothing was suppressed. */
    public static String suppressedNote(long suppressedCount) {
        return suppressedCount <= 0 ? "" : " (suppressed " + suppressedCount + " similar messages)";
    }
}
