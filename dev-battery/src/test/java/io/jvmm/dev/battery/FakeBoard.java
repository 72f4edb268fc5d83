package io.jvmm.dev.battery;

import io.jvmm.api.device.BoardServices;
import io.jvmm.api.device.DeviceWaker;
import io.jvmm.api.device.LineInterrupt;
import io.jvmm.api.device.LineInterruptTarget;
import io.jvmm.api.device.PowerAction;
import io.jvmm.api.device.VmClock;
import io.jvmm.api.resource.ResolveContext;
import io.jvmm.api.resource.ResolveException;
import io.jvmm.api.resource.Resource;
import io.jvmm.api.resource.ResourceHandle;
import io.jvmm.api.resource.ResourceResolver;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A board for one device under test: records claims and lines, counts wakes (the test polls
 * itself), and resolves nested resources with the given resolvers.
 */
final class FakeBoard implements BoardServices, ResolveContext {
    record Claim(String region, long start, long end) {}

    /** A line that remembers its level. */
    static final class FakeLine implements LineInterrupt {
        final String lineSet;
        final String label;
        final int vector;
        private volatile boolean level;

        FakeLine(String lineSet, String label, int vector) {
            this.lineSet = lineSet;
            this.label = label;
            this.vector = vector;
        }

        @Override
        public void setLevel(boolean high) {
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

    final List<Claim> mmioClaims = new ArrayList<>();
    final List<Claim> pioClaims = new ArrayList<>();
    final List<FakeLine> lines = new ArrayList<>();
    final AtomicInteger wakes = new AtomicInteger();
    private final List<ResourceResolver<?, ?>> resolvers;

    FakeBoard(ResourceResolver<?, ?>... resolvers) {
        this.resolvers = List.of(resolvers);
    }

    /** A board that resolves the module's two battery sources. */
    static FakeBoard withSources() {
        return new FakeBoard(new FixedBatterySourceResolver(), new HostBatterySourceResolver());
    }

    FakeLine onlyLine() {
        if (lines.size() != 1) {
            throw new AssertionError("expected one line, got " + lines.size());
        }
        return lines.get(0);
    }

    @Override
    public String deviceName() {
        return "battery";
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T resolve(Resource<T> resource) throws ResolveException {
        for (ResourceResolver<?, ?> r : resolvers) {
            if (r.kind().equals(resource.kind()) && r.id().equals(resource.id())) {
                ResourceResolver<ResourceHandle, T> typed = (ResourceResolver<ResourceHandle, T>) r;
                return typed.resolve(resource.handle(), this);
            }
        }
        throw new ResolveException("no resolver for " + resource.key());
    }

    @Override
    public BoardServices board() {
        return this;
    }

    @Override
    public void claimPio(String region, int start, int end) {
        pioClaims.add(new Claim(region, start, end));
    }

    @Override
    public void claimMmio(String region, long start, long end) {
        mmioClaims.add(new Claim(region, start, end));
    }

    @Override
    public LineInterrupt newLine(String lineSet, String label, int vector) {
        FakeLine line = new FakeLine(lineSet, label, vector);
        lines.add(line);
        return line;
    }

    @Override
    public void addLineTarget(String lineSet, int firstSource, int lastSource, int firstTarget,
            LineInterruptTarget target) {
        throw new UnsupportedOperationException("the battery targets no lines");
    }

    @Override
    public void requestPower(PowerAction action) {
        throw new UnsupportedOperationException("the battery requests no power actions");
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
        return new DeviceWaker() {
            @Override
            public void wake() {
                wakes.incrementAndGet();
            }

            @Override
            public void wakeAfter(Duration delay) {
                wakes.incrementAndGet();
            }
        };
    }
}
