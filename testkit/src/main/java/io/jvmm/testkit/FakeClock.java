package io.jvmm.testkit;

import io.jvmm.api.device.VmClock;
import java.time.Duration;
import java.time.Instant;

/**
 * A {@link VmClock} that moves only when the test says so. VM time ({@link #nanos()}) and the
 * host's wall clock advance together; {@link #stepWallClock} moves the wall clock alone, as when
 * the host's time is set.
 */
public final class FakeClock implements VmClock {
    /** The default start: one second of VM time, at this wall-clock instant. */
    public static final Instant DEFAULT_WALL_TIME = Instant.parse("2024-05-17T10:20:30Z");

    private volatile long nanos;
    private volatile Instant wallAtZero;

    /** Starts at {@code nanos} of VM time, when the wall clock reads {@code wallAtNanos}. */
    public FakeClock(long nanos, Instant wallAtNanos) {
        this.nanos = nanos;
        this.wallAtZero = wallAtNanos.minusNanos(nanos);
    }

    /** One second of VM time at {@link #DEFAULT_WALL_TIME}. */
    public FakeClock() {
        this(1_000_000_000L, DEFAULT_WALL_TIME);
    }

    public synchronized void advance(Duration d) {
        nanos += d.toNanos();
    }

    public synchronized void advanceNanos(long n) {
        nanos += n;
    }

    /** Steps the host's wall clock by {@code d} (may be negative); VM time does not move. */
    public synchronized void stepWallClock(Duration d) {
        wallAtZero = wallAtZero.plus(d);
    }

    @Override
    public long nanos() {
        return nanos;
    }

    @Override
    public Instant wallTime() {
        return wallAtZero.plusNanos(nanos);
    }
}
