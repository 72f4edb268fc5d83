package io.jvmm.runtime.board;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RateLimiterTest {
    @Test
    void admitsLimitPerWindowThenCountsSuppressedForTheNextAdmitted() {
        AtomicLong now = new AtomicLong(1_000);
        RateLimiter limiter = new RateLimiter(3, 1_000_000_000L, now::get);
        assertEquals(0, limiter.tryAcquire());
        assertEquals(0, limiter.tryAcquire());
        assertEquals(0, limiter.tryAcquire());
        for (int i = 0; i < 1000; i++) {
            assertEquals(RateLimiter.SUPPRESSED, limiter.tryAcquire());
        }
        now.addAndGet(999_999_999L);
        assertEquals(RateLimiter.SUPPRESSED, limiter.tryAcquire(), "still in the same window");
        now.addAndGet(1);
        assertEquals(1001, limiter.tryAcquire(), "the first admitted event reports what was dropped");
        assertEquals(0, limiter.tryAcquire());
    }

    @Test
    void suppressedNoteIsEmptyWhenNothingWasDropped() {
        assertEquals("", RateLimiter.suppressedNote(0));
        assertEquals(" (suppressed 5 similar messages)", RateLimiter.suppressedNote(5));
    }
}
