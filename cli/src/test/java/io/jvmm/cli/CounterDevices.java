package io.jvmm.cli;

import io.jvmm.api.device.BoardServices;
import io.jvmm.api.device.Capabilities;
import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.IoRegion;
import io.jvmm.api.device.IoData;
import io.jvmm.api.device.IoResult;
import io.jvmm.api.device.LineInterrupt;
import io.jvmm.api.device.LineInterruptTarget;
import io.jvmm.api.device.PortIoIntercept;
import io.jvmm.api.device.PowerAction;
import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.ConfigWriter;
import io.jvmm.api.resource.ResolveContext;
import io.jvmm.api.resource.Resource;
import io.jvmm.api.resource.ResourceHandle;
import io.jvmm.api.resource.ResourceKind;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.api.resource.ResourceResolver;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Test devices for the concurrency tests: {@code test_counter} counts guest writes (under the lock
 * the board holds, with plain fields, so a lost update would show) and drives one source of a
 * shared line; {@code test_line_watch} receives that line set and remembers the level it was given.
 * The resolvers are registered per test, so they keep the devices they built for the assertions.
 */
final class CounterDevices {
    /** The line set the counters share: line 0, every counter is one source of it. */
    static final String LINE_SET = "test_shared";

    private CounterDevices() {}

    /**
     * A counter's configuration.
     *
     * @param base first of its four ports: +0 count, +1 line level (bit 0), +2 done, +3 reads {@code iterations}
     * @param iterations what the guest reads from {@code base + 3}
     * @param vcpus how many "done" writes power the VM off (0: never)
     */
    record CounterHandle(int base, long iterations, int vcpus) implements ResourceHandle {
        static final String ID = "test_counter";

        Resource<ChipsetDevice> toResource() {
            return Resource.of(ResourceKinds.CHIPSET_DEVICE, ID, this);
        }

        @Override
        public void writeConfig(ConfigWriter out) {
            out.hex("base", base).number("iterations", iterations).number("vcpus", vcpus);
        }
    }

    /** The line watcher has no configuration. */
    record WatchHandle() implements ResourceHandle {
        static final String ID = "test_line_watch";

        Resource<ChipsetDevice> toResource() {
            return Resource.of(ResourceKinds.CHIPSET_DEVICE, ID, this);
        }

        @Override
        public void writeConfig(ConfigWriter out) {}
    }

    /** Counts under the device lock; every method runs holding it (the board's contract). */
    static final class Counter implements ChipsetDevice, PortIoIntercept {
        private final int base;
        private final long iterations;
        private final int vcpus;
        private final LineInterrupt line;
        private final BoardServices board;
        private final List<IoRegion> regions;
        private final Capabilities capabilities = Capabilities.builder().portIo(this).build();
        // Plain fields on purpose: only the board's per-device lock keeps these exact.
        private long count;
        private long toggles;
        private int valuesAnded = 0xFF;
        private int dones;

        Counter(int base, long iterations, int vcpus, LineInterrupt line, BoardServices board) {
            this.base = base;
            this.regions = List.of(new IoRegion("counter", base, 4));
            this.iterations = iterations;
            this.vcpus = vcpus;
            this.line = line;
            this.board = board;
        }

        @Override
        public Capabilities capabilities() {
            return capabilities;
        }

        @Override
        public List<IoRegion> pioRegions() {
            return regions;
        }

        @Override
        public IoResult ioRead(int region, int offset, byte[] data) {
            IoData.put(data, offset == 3 ? iterations : 0);
            return IoResult.OK;
        }

        @Override
        public IoResult ioWrite(int region, int offset, byte[] data) {
            switch (offset) {
                case 0 -> {
                    count++;
                    valuesAnded &= data[0] & 0xFF;
                }
                case 1 -> {
                    toggles++;
                    line.setLevel((data[0] & 1) != 0);
                }
                case 2 -> {
                    if (++dones == vcpus) {
                        board.requestPower(PowerAction.POWER_OFF);
                    }
                }
                default -> { }
            }
            return IoResult.OK;
        }

        long count() {
            return count;
        }

        long toggles() {
            return toggles;
        }

        int valuesAnded() {
            return valuesAnded;
        }

        int dones() {
            return dones;
        }

        LineInterrupt line() {
            return line;
        }
    }

    /** The target of {@link #LINE_SET}: records each level it is given. */
    static final class LineWatch implements ChipsetDevice, LineInterruptTarget {
        private final Capabilities capabilities = Capabilities.builder().lineInterruptTarget(this).build();
        private final AtomicLong deliveries = new AtomicLong();
        private volatile boolean level;

        @Override
        public Capabilities capabilities() {
            return capabilities;
        }

        @Override
        public void setIrq(int vector, boolean high) {
            deliveries.incrementAndGet();
            level = high;
        }

        boolean level() {
            return level;
        }

        long deliveries() {
            return deliveries.get();
        }
    }

    /** Resolves {@code chipset_device:test_counter}; keeps each device by its board name. */
    static final class CounterResolver implements ResourceResolver<CounterHandle, ChipsetDevice> {
        final Map<String, Counter> built = new ConcurrentHashMap<>();

        @Override
        public ResourceKind<ChipsetDevice> kind() {
            return ResourceKinds.CHIPSET_DEVICE;
        }

        @Override
        public String id() {
            return CounterHandle.ID;
        }

        @Override
        public Class<CounterHandle> handleType() {
            return CounterHandle.class;
        }

        @Override
        public CounterHandle parseHandle(ConfigReader config) {
            return new CounterHandle(config.u16("base"), config.u32("iterations"), (int) config.u32("vcpus"));
        }

        @Override
        public ChipsetDevice resolve(CounterHandle h, ResolveContext context) {
            BoardServices board = context.board();
            Counter c = new Counter(h.base(), h.iterations(), h.vcpus(),
                    board.newLine(LINE_SET, "counter", 0), board);
            built.put(context.deviceName(), c);
            return c;
        }

        Counter get(String name) {
            return built.get(name);
        }
    }

    /** Resolves {@code chipset_device:test_line_watch}. */
    static final class WatchResolver implements ResourceResolver<WatchHandle, ChipsetDevice> {
        final LineWatch watch = new LineWatch();

        @Override
        public ResourceKind<ChipsetDevice> kind() {
            return ResourceKinds.CHIPSET_DEVICE;
        }

        @Override
        public String id() {
            return WatchHandle.ID;
        }

        @Override
        public Class<WatchHandle> handleType() {
            return WatchHandle.class;
        }

        @Override
        public WatchHandle parseHandle(ConfigReader config) {
            return new WatchHandle();
        }

        @Override
        public ChipsetDevice resolve(WatchHandle h, ResolveContext context) {
            context.board().addLineTarget(LINE_SET, 0, 0, 0, watch);
            return watch;
        }
    }
}
