package io.jvmm.bench;

import io.jvmm.api.device.Capabilities;
import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.ChipsetDeviceResolver;
import io.jvmm.api.device.IoRegion;
import io.jvmm.api.device.IoData;
import io.jvmm.api.device.IoResult;
import io.jvmm.api.device.MmioIntercept;
import io.jvmm.api.device.PortIoIntercept;
import io.jvmm.api.device.VmClock;
import io.jvmm.api.handles.EmptyHandle;
import io.jvmm.api.hv.MachineArch;
import io.jvmm.api.resource.ResolveContext;
import io.jvmm.api.resource.Resource;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.runtime.board.Chipset;
import io.jvmm.runtime.board.ChipsetBuildException;
import io.jvmm.runtime.board.ChipsetBuilder;
import io.jvmm.runtime.manifest.BaseChipsetManifest;
import io.jvmm.runtime.manifest.BaseChipsetType;
import io.jvmm.runtime.manifest.ChipsetDeviceHandle;
import io.jvmm.runtime.manifest.VmManifest;
import io.jvmm.runtime.registry.ResolverRegistry;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A board shaped like a small PC: a trivial "register" device at COM1 (0x3f8) and at the HPET
 * (0xfed00000), plus a dozen other port and MMIO regions so lookups are not trivially short.
 */
public final class BenchBoards {
    public static final int CLAIMED_PORT = 0x3f8;
    public static final int UNCLAIMED_PORT = 0x80;
    public static final long CLAIMED_MMIO = 0xfed0_0000L;
    public static final long UNCLAIMED_MMIO = 0xfed0_1000L;

    private BenchBoards() {}

    /** Reads a constant, ignores writes: measures the bus, not a device. */
    static final class Register implements ChipsetDevice, PortIoIntercept, MmioIntercept {
        private final List<IoRegion> pio;
        private final List<IoRegion> mmio;
        private final Capabilities capabilities = Capabilities.builder().portIo(this).mmio(this).build();
        private long value = 0x5a;

        Register(List<IoRegion> pio, List<IoRegion> mmio) {
            this.pio = pio;
            this.mmio = mmio;
        }

        Register() {
            this(List.of(), List.of());
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

        @Override
        public IoResult ioRead(int region, int offset, byte[] data) {
            IoData.put(data, value);
            return IoResult.OK;
        }

        @Override
        public IoResult ioWrite(int region, int offset, byte[] data) {
            value = IoData.get(data);
            return IoResult.OK;
        }

        @Override
        public IoResult mmioRead(int region, long offset, byte[] data) {
            IoData.put(data, value);
            return IoResult.OK;
        }

        @Override
        public IoResult mmioWrite(int region, long offset, byte[] data) {
            value = IoData.get(data);
            return IoResult.OK;
        }
    }

    /** A resolver for {@code chipset_device:bench_register}; regions are read from the device name. */
    static final class RegisterResolver extends ChipsetDeviceResolver<EmptyHandle> {
        RegisterResolver() {
            super("bench_register", EmptyHandle.class, config -> EmptyHandle.INSTANCE);
        }

        @Override
        public ChipsetDevice resolve(EmptyHandle handle, ResolveContext context) {
            // Names are "<p|m>-<hex start>-<hex end>".
            String[] parts = context.deviceName().split("-");
            long start = Long.parseUnsignedLong(parts[1], 16);
            long end = Long.parseUnsignedLong(parts[2], 16);
            List<IoRegion> regions = List.of(IoRegion.ofRange("regs", start, end));
            return parts[0].equals("p") ? new Register(regions, List.of()) : new Register(List.of(), regions);
        }
    }

    public static Chipset build() throws ChipsetBuildException {
        List<ChipsetDeviceHandle> devices = new ArrayList<>();
        long[][] pio = {{0x20, 0x21}, {0x40, 0x43}, {0x60, 0x60}, {0x64, 0x64}, {0x70, 0x71}, {0xa0, 0xa1},
            {0x2f8, 0x2ff}, {CLAIMED_PORT, CLAIMED_PORT + 7}, {0xcf8, 0xcff}};
        long[][] mmio = {{0xfec0_0000L, 0xfec0_0fffL}, {CLAIMED_MMIO, CLAIMED_MMIO + 0x3ff},
            {0xfee0_0000L, 0xfee0_0fffL}, {0xe000_0000L, 0xefff_ffffL}, {0xfe00_0000L, 0xfe00_0fffL},
            {0xfeb0_0000L, 0xfeb0_0fffL}, {0x1_0000_0000L, 0x1_0000_ffffL}, {0xd000_0000L, 0xd0ff_ffffL}};
        Resource<ChipsetDevice> res = Resource.of(ResourceKinds.CHIPSET_DEVICE, "bench_register", EmptyHandle.INSTANCE);
        for (long[] r : pio) {
            devices.add(new ChipsetDeviceHandle("p-" + Long.toHexString(r[0]) + "-" + Long.toHexString(r[1]), res));
        }
        for (long[] r : mmio) {
            devices.add(new ChipsetDeviceHandle("m-" + Long.toHexString(r[0]) + "-" + Long.toHexString(r[1]), res));
        }
        VmManifest manifest = new VmManifest(BaseChipsetType.UNENLIGHTENED_LINUX_DIRECT, MachineArch.X86_64,
                BaseChipsetManifest.empty(), devices);
        VmClock clock = new VmClock() {
            @Override
            public long nanos() {
                return System.nanoTime();
            }

            @Override
            public Instant wallTime() {
                return Instant.now();
            }
        };
        ResolverRegistry registry = ResolverRegistry.builder().add(new RegisterResolver()).build();
        return new ChipsetBuilder(manifest, registry, Set.of(), a -> {}, clock, (v, h) -> {}).build();
    }
}
