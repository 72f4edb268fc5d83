package io.jvmm.fuzz;

import io.jvmm.api.device.BoardServices;
import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.IoRegion;
import io.jvmm.api.device.MmioIntercept;
import io.jvmm.api.device.PortIoIntercept;
import io.jvmm.api.device.DeviceWaker;
import io.jvmm.api.device.LineInterrupt;
import io.jvmm.api.device.LineInterruptTarget;
import io.jvmm.api.device.PowerAction;
import io.jvmm.api.device.VmClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The {@link BoardServices} one fuzzed device is built with: it records the claims derived from the
 * regions the device declares ({@link #attach}), lines, line
 * targets, power requests and wakes, and its clock only moves when the fuzzer says so, so every
 * run of an input is the same.
 */
final class FuzzBoard implements BoardServices {
    /** A claimed inclusive range: region {@code index} of the device's declaration. */
    record Claim(String name, int index, long start, long end) {
        boolean contains(long address) {
            return Long.compareUnsigned(address, start) >= 0 && Long.compareUnsigned(address, end) <= 0;
        }
    }

    /** A line target the device registered (e.g. the PM device's GPE0 block). */
    record Target(String lineSet, int firstSource, int lastSource, int firstTarget, LineInterruptTarget target) {}

    final List<Claim> pio = new ArrayList<>();
    final List<Claim> mmio = new ArrayList<>();
    final List<FakeLine> lines = new ArrayList<>();
    final List<Target> targets = new ArrayList<>();
    final List<PowerAction> powerRequests = new ArrayList<>();
    final FuzzClock clock = new FuzzClock();
    final CountingWaker waker = new CountingWaker();

    /** Claims the regions {@code device} declares, as the board does when it is built. */
    void attach(ChipsetDevice device) {
        PortIoIntercept p = device.capabilities().portIo().orElse(null);
        if (p != null) {
            List<IoRegion> regions = p.pioRegions();
            for (int i = 0; i < regions.size(); i++) {
                IoRegion r = regions.get(i);
                if (r.start() < 0 || r.end() > 0xFFFF) {
                    throw new IllegalArgumentException("bad port region " + r);
                }
                pio.add(new Claim(r.name(), i, r.start(), r.end()));
            }
        }
        MmioIntercept m = device.capabilities().mmio().orElse(null);
        if (m != null) {
            List<IoRegion> regions = m.mmioRegions();
            for (int i = 0; i < regions.size(); i++) {
                IoRegion r = regions.get(i);
                mmio.add(new Claim(r.name(), i, r.start(), r.end()));
            }
        }
    }

    @Override
    public LineInterrupt newLine(String lineSet, String label, int vector) {
        FakeLine line = new FakeLine(Objects.requireNonNull(lineSet), label, vector);
        lines.add(line);
        return line;
    }

    @Override
    public void addLineTarget(String lineSet, int firstSource, int lastSource, int firstTarget,
            LineInterruptTarget target) {
        targets.add(new Target(lineSet, firstSource, lastSource, firstTarget, Objects.requireNonNull(target)));
    }

    @Override
    public void requestPower(PowerAction action) {
        // Bounded: a guest may ask for reset in a loop; only the count matters.
        if (powerRequests.size() < 16) {
            powerRequests.add(Objects.requireNonNull(action));
        }
    }

    @Override
    public VmClock clock() {
        return clock;
    }

    @Override
    public DeviceWaker waker() {
        return waker;
    }

    /** The device's line called {@code label}. */
    FakeLine line(String label) {
        for (FakeLine l : lines) {
            if (l.label.equals(label)) {
                return l;
            }
        }
        throw new AssertionError("device created no line '" + label + "'; it has " + lines);
    }

    /** A line of one source: its level is the device's level. */
    static final class FakeLine implements LineInterrupt {
        final String lineSet;
        final String label;
        final int vector;
        private boolean high;
        long changes;

        FakeLine(String lineSet, String label, int vector) {
            this.lineSet = lineSet;
            this.label = label;
            this.vector = vector;
        }

        @Override
        public void setLevel(boolean high) {
            if (this.high != high) {
                changes++;
            }
            this.high = high;
        }

        @Override
        public boolean level() {
            return high;
        }

        @Override
        public String lineSet() {
            return lineSet;
        }

        @Override
        public int vector() {
            return vector;
        }

        @Override
        public String toString() {
            return lineSet + "/" + vector + " (" + label + ")";
        }
    }

    /** VM time that moves only when told. Wall time follows it from a fixed instant. */
    static final class FuzzClock implements VmClock {
        private static final Instant EPOCH = Instant.parse("2024-02-28T23:59:50Z");
        private long nanos = 1_000_000_000L;

        void advance(long delta) {
            nanos += Math.max(0, delta);
        }

        @Override
        public long nanos() {
            return nanos;
        }

        @Override
        public Instant wallTime() {
            return EPOCH.plusNanos(nanos);
        }
    }

    /** Counts wakes; the harness polls when the fuzzer chooses to. */
    static final class CountingWaker implements DeviceWaker {
        long wakes;
        long timers;

        @Override
        public void wake() {
            wakes++;
        }

        @Override
        public void wakeAfter(Duration delay) {
            Objects.requireNonNull(delay);
            timers++;
        }
    }
}
