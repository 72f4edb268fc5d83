package io.jvmm.api.device;

import java.time.Duration;

/** Asks the board to call the device's {@link PollDevice#poll()} soon. Safe from any thread. */
public interface DeviceWaker {
    /** Poll as soon as possible. Wakes coalesce: many calls before a poll give one poll. */
    void wake();

    /** Poll after {@code delay} at the latest (a timer); an earlier {@link #wake()} still counts. */
    void wakeAfter(Duration delay);
}
