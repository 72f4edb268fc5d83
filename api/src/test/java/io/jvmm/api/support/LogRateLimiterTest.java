package io.jvmm.api.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LogRateLimiterTest {
    @Test
    void admitsLimitPerWindowThenCountsSuppressedForTheNextAdmitted() {
        AtomicLong now = new AtomicLong(1_000);
        LogRateLimiter limiter = new LogRateLimiter(3, 1_000_000_000L, now::get);
        assertEquals(0, limiter.tryAcquire());
        assertEquals(0, limiter.tryAcquire());
        assertEquals(0, limiter.tryAcquire());
        for (int i = 0; i < 1000; i++) {
            assertEquals(LogRateLimiter.SUPPRESSED, limiter.tryAcquire());
        }
        now.addAndGet(999_999_999L);
        assertEquals(LogRateLimiter.SUPPRESSED, limiter.tryAcquire(), "still in the same window");
        now.addAndGet(1);
        assertEquals(1001, limiter.tryAcquire(), "the first admitted event reports what was dropped");
        assertEquals(0, limiter.tryAcquire());
        assertEquals(1001, limiter.suppressedTotal());
    }

    @Test
    void theTotalKeepsCountingAcrossWindows() {
        AtomicLong now = new AtomicLong(-5_000); // nanoTime may be negative
        LogRateLimiter limiter = new LogRateLimiter(1, 10, now::get);
        assertEquals(0, limiter.tryAcquire());
        assertEquals(LogRateLimiter.SUPPRESSED, limiter.tryAcquire());
        now.addAndGet(10);
        assertEquals(1, limiter.tryAcquire());
        assertEquals(LogRateLimiter.SUPPRESSED, limiter.tryAcquire());
        assertEquals(LogRateLimiter.SUPPRESSED, limiter.tryAcquire());
        assertEquals(3, limiter.suppressedTotal());
        now.addAndGet(25);
        assertEquals(2, limiter.tryAcquire());
        assertEquals(3, limiter.suppressedTotal());
    }

    @Test
    void suppressedNoteIsEmptyWhenNothingWasDropped() {
        assertEquals("", LogRateLimiter.suppressedNote(0));
        assertEquals(" (suppressed 5 similar messages)", LogRateLimiter.suppressedNote(5));
    }

    @Test
    void rejectsANonPositiveLimitOrWindow() {
        assertThrows(IllegalArgumentException.class, () -> new LogRateLimiter(0));
        assertThrows(IllegalArgumentException.class, () -> new LogRateLimiter(1, 0, System::nanoTime));
    }
}
