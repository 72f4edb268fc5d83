package io.jvmm.api.device;

import java.time.Instant;

/** Time as a device sees it. */
public interface VmClock {
    /** Monotonic nanoseconds of VM time (a steady counter; its origin is arbitrary). */
    long nanos();

    /** The host's wall-clock time, for real-time clocks. */
    Instant wallTime();
}
