package io.jvmm.testkit;

import io.jvmm.api.device.DeviceWaker;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link DeviceWaker} that only counts: nothing polls the device, the test calls
 * {@code poll()} itself. Wakes and timers are counted apart. Safe from any thread.
 */
public final class FakeWaker implements DeviceWaker {
    private final AtomicInteger wakes = new AtomicInteger();
    private final AtomicInteger timers = new AtomicInteger();
    private volatile Duration lastDelay;

    /** A waker no one has woken yet. */
    public FakeWaker() {}

    @Override
    public void wake() {
        wakes.incrementAndGet();
    }

    @Override
    public void wakeAfter(Duration delay) {
        lastDelay = delay;
        timers.incrementAndGet();
    }

    /** Calls of {@link #wake()} so far. */
    public int wakes() {
        return wakes.get();
    }

    /** Calls of {@link #wakeAfter(Duration)} so far. */
    public int timers() {
        return timers.get();
    }

    /** The delay of the last {@link #wakeAfter(Duration)}, or null if there was none. */
    public Duration lastDelay() {
        return lastDelay;
    }
}
