package io.jvmm.runtime.board;

import io.jvmm.api.device.Capabilities;
import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.IoRegion;
import io.jvmm.api.device.IoData;
import io.jvmm.api.device.IoResult;
import io.jvmm.api.device.LineInterruptTarget;
import io.jvmm.api.device.MmioIntercept;
import io.jvmm.api.device.PortIoIntercept;
import io.jvmm.api.device.VmClock;
import io.jvmm.api.handles.EmptyHandle;
import io.jvmm.api.hv.MachineArch;
import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.ResolveContext;
import io.jvmm.api.resource.ResolveException;
import io.jvmm.api.resource.Resource;
import io.jvmm.api.resource.ResourceKind;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.api.resource.ResourceResolver;
import io.jvmm.runtime.manifest.BaseChipsetManifest;
import io.jvmm.runtime.manifest.BaseChipsetType;
import io.jvmm.runtime.manifest.ChipsetDeviceHandle;
import io.jvmm.runtime.manifest.VmManifest;
import io.jvmm.runtime.registry.ResolverRegistry;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/** Test resolvers, devices and a fixture that builds a chipset from them. */
final class TestSupport {
    private TestSupport() {}

    /** What a test resolver does with its context. */
    interface Body {
        ChipsetDevice build(ResolveContext context) throws ResolveException;
    }

    /** {@code chipset_device:<id>} with an {@link EmptyHandle}, resolved by {@code body}. */
    static ResourceResolver<EmptyHandle, ChipsetDevice> resolver(String id, Body body) {
        return new ResourceResolver<>() {
            @Override
            public ResourceKind<ChipsetDevice> kind() {
                return ResourceKinds.CHIPSET_DEVICE;
            }

            @Override
            public String id() {
                return id;
            }

            @Override
            public Class<EmptyHandle> handleType() {
                return EmptyHandle.class;
            }

            @Override
            public EmptyHandle parseHandle(ConfigReader config) {
                return EmptyHandle.INSTANCE;
            }

            @Override
            public ChipsetDevice resolve(EmptyHandle handle, ResolveContext context) throws ResolveException {
                return body.build(context);
            }
        };
    }

    static ChipsetDeviceHandle device(String name, String id) {
        return new ChipsetDeviceHandle(name, Resource.of(ResourceKinds.CHIPSET_DEVICE, id, EmptyHandle.INSTANCE));
    }

    static VmManifest manifest(BaseChipsetManifest chipset, ChipsetDeviceHandle... devices) {
        return new VmManifest(BaseChipsetType.UNENLIGHTENED_LINUX_DIRECT, MachineArch.X86_64, chipset,
                List.of(devices));
    }

    static VmManifest manifest(ChipsetDeviceHandle... devices) {
        return manifest(BaseChipsetManifest.empty(), devices);
    }

    static final VmClock CLOCK = new VmClock() {
        @Override
        public long nanos() {
            return System.nanoTime();
        }

        @Override
        public Instant wallTime() {
            return Instant.now();
        }
    };

    /** Records every setIrq and the last level per vector. */
    static final class RecordingTarget implements LineInterruptTarget {
        final List<String> events = Collections.synchronizedList(new ArrayList<>());
        final ConcurrentHashMap<Integer, Boolean> levels = new ConcurrentHashMap<>();

        @Override
        public void setIrq(int vector, boolean high) {
            events.add(vector + (high ? "+" : "-"));
            levels.put(vector, high);
        }

        boolean high(int vector) {
            return levels.getOrDefault(vector, false);
        }
    }

    /** A fixture: registry of test resolvers plus the hypervisor-side sinks. */
    static final class Fixture {
        final ResolverRegistry.Builder registry = ResolverRegistry.builder();
        final RecordingTarget irq = new RecordingTarget();
        final List<PowerRequest> power = Collections.synchronizedList(new ArrayList<>());
        Set<String> hypervisorDevices = Set.of();

        Fixture add(String id, Body body) {
            registry.add(resolver(id, body));
            return this;
        }

        ChipsetBuilder builder(VmManifest manifest) {
            return new ChipsetBuilder(manifest, registry.build(), hypervisorDevices, power::add, CLOCK, irq);
        }

        Chipset build(VmManifest manifest) throws ChipsetBuildException {
            return builder(manifest).build();
        }
    }

    /**
     * A device with PIO and MMIO intercepts that records the last access and answers with a
     * configurable result; reads return {@code readValue}.
     */
    static class RecordingDevice implements ChipsetDevice, PortIoIntercept, MmioIntercept {
        final String tag;
        private final List<IoRegion> pio = new ArrayList<>();
        private final List<IoRegion> mmio = new ArrayList<>();
        private final Capabilities capabilities = Capabilities.builder().portIo(this).mmio(this).build();
        /** The absolute address of the last access: its region's start plus the offset handed over. */
        volatile long lastAddress = -1;
        volatile int lastRegion = -1;
        volatile long lastOffset = -1;
        volatile long lastWrite = -1;
        volatile long readValue;
        volatile Supplier<IoResult> result = () -> IoResult.OK;
        volatile RuntimeException toThrow;
        volatile int accesses;

        RecordingDevice(String tag, long readValue) {
            this.tag = tag;
            this.readValue = readValue;
        }

        /** Declares the port region {@code [start, end]} (before the board is built). */
        RecordingDevice pio(String name, long start, long end) {
            pio.add(IoRegion.ofRange(name, start, end));
            return this;
        }

        /** Declares the MMIO region {@code [start, end]} (before the board is built). */
        RecordingDevice mmio(String name, long start, long end) {
            mmio.add(IoRegion.ofRange(name, start, end));
            return this;
        }

        @Override
        public Capabilities capabilities() {
            return capabilities;
        }

        @Override
        public List<IoRegion> pioRegions() {
            return pio;
        }

        @Override
        public List<IoRegion> mmioRegions() {
            return mmio;
        }

        private void note(List<IoRegion> regions, int region, long offset) {
            accesses++;
            lastRegion = region;
            lastOffset = offset;
            lastAddress = regions.get(region).start() + offset;
        }

        private IoResult read(byte[] data) {
            if (toThrow != null) {
                IoData.put(data, 0x1234_5678_9abc_def0L); // garbage the bus must overwrite
                throw toThrow;
            }
            IoData.put(data, readValue);
            return result.get();
        }

        private IoResult write(byte[] data) {
            lastWrite = IoData.get(data);
            if (toThrow != null) {
                throw toThrow;
            }
            return result.get();
        }

        @Override
        public IoResult ioRead(int region, int offset, byte[] data) {
            note(pio, region, offset);
            return read(data);
        }

        @Override
        public IoResult ioWrite(int region, int offset, byte[] data) {
            note(pio, region, offset);
            return write(data);
        }

        @Override
        public IoResult mmioRead(int region, long offset, byte[] data) {
            note(mmio, region, offset);
            return read(data);
        }

        @Override
        public IoResult mmioWrite(int region, long offset, byte[] data) {
            note(mmio, region, offset);
            return write(data);
        }
    }

    static long pioRead(Board board, int port, int size) {
        byte[] data = new byte[size];
        board.pioRead(port, data);
        return IoData.get(data);
    }

    static long mmioRead(Board board, long address, int size) {
        byte[] data = new byte[size];
        board.mmioRead(address, data);
        return IoData.get(data);
    }

    static byte[] bytes(int size, long value) {
        byte[] data = new byte[size];
        IoData.put(data, value);
        return data;
    }

    /** Waits until {@code t} blocks on a monitor (a device's lock), or fails after 10 s. */
    static void awaitBlocked(Thread t) {
        awaitState(t, Thread.State.BLOCKED);
    }

    /** Waits until {@code t} waits with a timeout (for a deferred access), or fails after 10 s. */
    static void awaitWaiting(Thread t) {
        awaitState(t, Thread.State.TIMED_WAITING);
    }

    static void awaitState(Thread t, Thread.State state) {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (t.getState() != state) {
            if (System.nanoTime() - end > 0 || t.getState() == Thread.State.TERMINATED) {
                throw new AssertionError(t.getName() + " is " + t.getState() + ", expected " + state);
            }
            LockSupport.parkNanos(50_000); // polls a state, with a deadline; nothing is assumed after it
        }
    }
}
