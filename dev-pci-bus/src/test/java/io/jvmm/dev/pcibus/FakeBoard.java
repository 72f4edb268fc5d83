package io.jvmm.dev.pcibus;

import io.jvmm.api.device.BoardServices;
import io.jvmm.api.device.DeviceWaker;
import io.jvmm.api.device.LineInterrupt;
import io.jvmm.api.device.LineInterruptTarget;
import io.jvmm.api.device.PowerAction;
import io.jvmm.api.device.VmClock;
import io.jvmm.api.resource.ResolveContext;
import io.jvmm.api.resource.ResolveException;
import io.jvmm.api.resource.Resource;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Records what a resolver asks of the board; the clock and waker are controllable. */
final class FakeBoard implements BoardServices, ResolveContext {
    record Claim(String region, long start, long end) {}

    record Target(String lineSet, int firstSource, int lastSource, int firstTarget,
            LineInterruptTarget target) {}

    /** A line that remembers its level and counts rising edges. */
    static final class FakeLine implements LineInterrupt {
        final String lineSet;
        final String label;
        final int vector;
        boolean level;
        int risingEdges;

        FakeLine(String lineSet, String label, int vector) {
            this.lineSet = lineSet;
            this.label = label;
            this.vector = vector;
        }

        @Override
        public void setLevel(boolean high) {
            if (high && !level) {
                risingEdges++;
            }
            level = high;
        }

        @Override
        public boolean level() {
            return level;
        }

        @Override
        public String lineSet() {
            return lineSet;
        }

        @Override
        public int vector() {
            return vector;
        }
    }

    /** Nanos and wall time both move only when the test says so. */
    static final class FakeClock implements VmClock {
        long nanos;
        Instant wallAtZero;

        FakeClock(long nanos, Instant wallAtNanos) {
            this.nanos = nanos;
            this.wallAtZero = wallAtNanos.minusNanos(nanos);
        }

        void advance(Duration d) {
            nanos += d.toNanos();
        }

        void advanceNanos(long n) {
            nanos += n;
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

    /** Counts wakes and remembers the last timer delay. */
    static final class FakeWaker implements DeviceWaker {
        int wakes;
        Duration lastDelay;
        int timers;

        @Override
        public void wake() {
            wakes++;
        }

        @Override
        public void wakeAfter(Duration delay) {
            timers++;
            lastDelay = delay;
        }
    }

    final List<Claim> pio = new ArrayList<>();
    final List<Claim> mmio = new ArrayList<>();
    final List<FakeLine> lines = new ArrayList<>();
    final List<Target> targets = new ArrayList<>();
    final List<PowerAction> power = new ArrayList<>();
    final FakeClock clock;
    final FakeWaker waker = new FakeWaker();

    FakeBoard(FakeClock clock) {
        this.clock = clock;
    }

    FakeBoard() {
        this(new FakeClock(1_000_000_000L, Instant.parse("2024-05-17T10:20:30Z")));
    }

    FakeLine line(String lineSet, int vector) {
        for (FakeLine l : lines) {
            if (l.lineSet.equals(lineSet) && l.vector == vector) {
                return l;
            }
        }
        throw new AssertionError("no line " + lineSet + ":" + vector + " among " + lines.size());
    }

    @Override
    public void claimPio(String region, int start, int end) {
        pio.add(new Claim(region, start, end));
    }

    @Override
    public void claimMmio(String region, long start, long end) {
        mmio.add(new Claim(region, start, end));
    }

    @Override
    public LineInterrupt newLine(String lineSet, String label, int vector) {
        FakeLine l = new FakeLine(lineSet, label, vector);
        lines.add(l);
        return l;
    }

    @Override
    public void addLineTarget(String lineSet, int firstSource, int lastSource, int firstTarget,
            LineInterruptTarget target) {
        targets.add(new Target(lineSet, firstSource, lastSource, firstTarget, target));
    }

    @Override
    public void requestPower(PowerAction action) {
        power.add(action);
    }

    @Override
    public VmClock clock() {
        return clock;
    }

    @Override
    public DeviceWaker waker() {
        return waker;
    }

    @Override
    public String deviceName() {
        return "test-device";
    }

    @Override
    public <T> T resolve(Resource<T> resource) throws ResolveException {
        throw new ResolveException("no nested resources in this test: " + resource);
    }

    @Override
    public BoardServices board() {
        return this;
    }
}
