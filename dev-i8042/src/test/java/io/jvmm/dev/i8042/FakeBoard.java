package io.jvmm.dev.i8042;

import io.jvmm.api.device.BoardServices;
import io.jvmm.api.device.DeviceWaker;
import io.jvmm.api.device.LineInterrupt;
import io.jvmm.api.device.LineInterruptTarget;
import io.jvmm.api.device.PowerAction;
import io.jvmm.api.device.VmClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Board services that record claims, line levels, power requests and wakes. */
final class FakeBoard implements BoardServices {
    record Claim(String region, int start, int end) {}

    static final class FakeLine implements LineInterrupt {
        final String lineSet;
        final String label;
        final int vector;
        boolean level;
        int changes;

        FakeLine(String lineSet, String label, int vector) {
            this.lineSet = lineSet;
            this.label = label;
            this.vector = vector;
        }

        @Override
        public void setLevel(boolean high) {
            if (high != level) {
                changes++;
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

    final List<Claim> pio = new ArrayList<>();
    final Map<Integer, FakeLine> lines = new LinkedHashMap<>();
    final List<PowerAction> power = new ArrayList<>();
    int wakes;

    private final DeviceWaker waker = new DeviceWaker() {
        @Override
        public void wake() {
            wakes++;
        }

        @Override
        public void wakeAfter(Duration delay) {
            wakes++;
        }
    };

    @Override
    public void claimPio(String region, int start, int end) {
        pio.add(new Claim(region, start, end));
    }

    @Override
    public void claimMmio(String region, long start, long end) {
        throw new AssertionError("the i8042 claims no MMIO");
    }

    @Override
    public LineInterrupt newLine(String lineSet, String label, int vector) {
        FakeLine line = new FakeLine(lineSet, label, vector);
        if (lines.put(vector, line) != null) {
            throw new AssertionError("line " + vector + " created twice");
        }
        return line;
    }

    @Override
    public void addLineTarget(String lineSet, int firstSource, int lastSource, int firstTarget,
            LineInterruptTarget target) {
        throw new AssertionError("the i8042 is no line target");
    }

    @Override
    public void requestPower(PowerAction action) {
        power.add(action);
    }

    @Override
    public VmClock clock() {
        return new VmClock() {
            @Override
            public long nanos() {
                return System.nanoTime();
            }

            @Override
            public Instant wallTime() {
                return Instant.now();
            }
        };
    }

    @Override
    public DeviceWaker waker() {
        return waker;
    }

    boolean irq1() {
        return lines.get(1).level;
    }

    boolean irq12() {
        return lines.get(12).level;
    }
}
