package io.jvmm.api.support;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Decides whether to log an event now: at most {@code limit} per window, the rest counted, so a
 * guest storm (a hammered bad register, a failing backend) cannot flood the log. It does no
 * logging itself. Use one per device or per message family; there is no shared state.
 * {@link #tryAcquire()} never allocates and takes no lock, so it is safe on the vCPU exit path and
 * from several threads (the window reset is racy by a few events under contention, which is fine
 * for logging).
 *
 * <pre>{@code
 * long suppressed = warnings.tryAcquire();
 * if (suppressed != LogRateLimiter.SUPPRESSED) {
 *     LOG.warn("bad write to {}{}", reg, LogRateLimiter.suppressedNote(suppressed));
 * }
 * }</pre>
 */
public final class LogRateLimiter {
    /** Returned by {@link #tryAcquire()} when the event must not be logged. */
    public static final long SUPPRESSED = -1;

    private final int limit;
    private final long windowNanos;
    private final LongSupplier nanoClock;
    private final AtomicLong windowStart;
    private final AtomicInteger admitted = new AtomicInteger();
    private final AtomicLong suppressedSinceAdmitted = new AtomicLong();
    private final AtomicLong suppressedTotal = new AtomicLong();

    /** At most {@code limit} events per second, on {@link System#nanoTime()}. */
    public LogRateLimiter(int limit) {
        this(limit, 1_000_000_000L, System::nanoTime);
    }

    /**
     * At most {@code limit} events per {@code windowNanos} of {@code nanoClock} (a monotonic
     * nanosecond counter, e.g. {@code System::nanoTime} or a device's VM clock). The first window
     * opens now.
     */
    public LogRateLimiter(int limit, long windowNanos, LongSupplier nanoClock) {
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
     * @return {@link #SUPPRESSED} to drop it; otherwise how many events were suppressed since the
     *     last admitted one (usually 0), for the caller to mention (see {@link #suppressedNote})
     */
    public long tryAcquire() {
        long now = nanoClock.getAsLong();
        long start = windowStart.get();
        if (now - start >= windowNanos && windowStart.compareAndSet(start, now)) {
            admitted.set(0);
        }
        // In a storm most calls take the first test: one read, then the suppressed counts.
        if (admitted.get() >= limit || admitted.incrementAndGet() > limit) {
            suppressedSinceAdmitted.incrementAndGet();
            suppressedTotal.incrementAndGet();
            return SUPPRESSED;
        }
        return suppressedSinceAdmitted.getAndSet(0);
    }

    /** Every event suppressed so far. */
    public long suppressedTotal() {
        return suppressedTotal.get();
    }

    /** A suffix for the log line, empty when nothing was suppressed. Allocates only when it says something. */
    public static String suppressedNote(long suppressedCount) {
        return suppressedCount <= 0 ? "" : " (suppressed " + suppressedCount + " similar messages)";
    }
}
