package io.jvmm.testkit;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * Measures bytes allocated by the current thread, where the JVM supports it (HotSpot does), so a
 * test can check that a device's register path allocates nothing. Warm the path up first: the
 * first calls may allocate while classes load.
 */
public final class AllocationMeter {
    private AllocationMeter() {}

    /** Bytes allocated while running {@code body}, or -1 if the JVM cannot tell. */
    public static long allocatedBytes(Runnable body) {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        if (!(mx instanceof com.sun.management.ThreadMXBean hot)
                || !hot.isThreadAllocatedMemorySupported()) {
            body.run();
            return -1;
        }
        long tid = Thread.currentThread().getId();
        long before = hot.getThreadAllocatedBytes(tid);
        body.run();
        return hot.getThreadAllocatedBytes(tid) - before;
    }
}
