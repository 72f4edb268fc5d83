package io.jvmm.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.support.ByteRing;
import io.jvmm.api.support.LogRateLimiter;
import org.junit.jupiter.api.Test;

/** The meter tells allocation from none; and the api's support helpers allocate nothing on their hot paths. */
class AllocationMeterTest {
    private static long sink;

    @Test
    void seesAnAllocation() {
        long allocated = AllocationMeter.allocatedBytes(() -> sink += new byte[64 * 1024].length);
        assertTrue(allocated >= 64 * 1024, "this JVM cannot count allocated bytes, or missed one: " + allocated);
    }

    @Test
    void byteRingAndLogRateLimiterHotPathsAllocateNothing() {
        ByteRing ring = new ByteRing(16);
        LogRateLimiter limiter = new LogRateLimiter(1, Long.MAX_VALUE, System::nanoTime);
        Runnable loop = () -> {
            for (int i = 0; i < 100_000; i++) {
                ring.push(i);
                if (ring.isFull()) {
                    while (!ring.isEmpty()) {
                        sink += ring.pop();
                    }
                }
                sink += limiter.tryAcquire();
            }
        };
        loop.run(); // warm up
        long allocated = AllocationMeter.allocatedBytes(loop);
        assertTrue(allocated >= 0, "this JVM cannot count allocated bytes");
        assertTrue(allocated < 1024, "100,000 pushes, pops and limiter calls allocated " + allocated + " bytes");
        assertEquals(200_000 - 1, limiter.suppressedTotal());
    }
}
