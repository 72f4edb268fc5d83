package io.jvmm.dev.pl011;

import io.jvmm.api.device.BoardServices;
import io.jvmm.api.device.DeviceWaker;
import io.jvmm.api.device.LineInterrupt;
import io.jvmm.api.device.LineInterruptTarget;
import io.jvmm.api.device.PowerAction;
import io.jvmm.api.device.VmClock;
import io.jvmm.api.resource.ResolveContext;
import io.jvmm.api.resource.Resource;
import io.jvmm.api.serial.SerialBackend;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** A board that records claims and lines, for resolver and device tests. */
class FakeBoard implements BoardServices {
    record Claim(String space, String region, long start, long end) {}

    /** One source of a line; the test reads its level. */
    static final class Line implements LineInterrupt {
        final String set;
        final String label;
        final int vector;
        volatile boolean level;
        int changes;

        Line(String set, String label, int vector) {
            this.set = set;
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
            return set;
        }

        @Override
        public int vector() {
            return vector;
        }
    }

    /** Counts wakes; the test polls by hand. */
    static final class Waker implements DeviceWaker {
        final AtomicInteger wakes = new AtomicInteger();

        @Override
        public void wake() {
            wakes.incrementAndGet();
        }

        @Override
        public void wakeAfter(Duration delay) {
            wakes.incrementAndGet();
        }
    }

    final List<Claim> claims = new ArrayList<>();
    final List<Line> lines = new ArrayList<>();
    final Waker waker = new Waker();

    @Override
    public void claimPio(String region, int start, int end) {
        claims.add(new Claim("pio", region, start, end));
    }

    @Override
    public void claimMmio(String region, long start, long end) {
        claims.add(new Claim("mmio", region, start, end));
    }

    @Override
    public LineInterrupt newLine(String lineSet, String label, int vector) {
        Line l = new Line(lineSet, label, vector);
        lines.add(l);
        return l;
    }

    /** What an interrupt controller would see: the OR of every source on the line. */
    boolean lineLevel(String lineSet, int vector) {
        return lines.stream().anyMatch(l -> l.set.equals(lineSet) && l.vector == vector && l.level);
    }

    @Override
    public void addLineTarget(String lineSet, int firstSource, int lastSource, int firstTarget,
            LineInterruptTarget target) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void requestPower(PowerAction action) {
        throw new UnsupportedOperationException();
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

    /** A context that hands every serial-backend resource the given backend. */
    ResolveContext context(String deviceName, SerialBackend backend) {
        FakeBoard board = this;
        return new ResolveContext() {
            @Override
            public String deviceName() {
                return deviceName;
            }

            @Override
            public <T> T resolve(Resource<T> resource) {
                return resource.kind().type().cast(backend);
            }

            @Override
            public BoardServices board() {
                return board;
            }
        };
    }
}
