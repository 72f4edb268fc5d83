package io.jvmm.runtime.vm;

import io.jvmm.api.handles.CmosRtcHandle;
import io.jvmm.api.hv.CpuBootState;
import io.jvmm.api.hv.HypervisorException;
import io.jvmm.api.hv.HypervisorProvider;
import io.jvmm.api.hv.IoBus;
import io.jvmm.api.hv.MachineArch;
import io.jvmm.api.hv.Partition;
import io.jvmm.api.hv.PartitionConfig;
import io.jvmm.api.resource.ResourceResolver;
import io.jvmm.runtime.acpi.AcpiTables;
import io.jvmm.runtime.acpi.ChipsetAcpi;
import io.jvmm.runtime.board.Chipset;
import io.jvmm.runtime.board.ChipsetBuildException;
import io.jvmm.runtime.board.ChipsetBuilder;
import io.jvmm.runtime.board.DeviceRunner;
import io.jvmm.runtime.input.KeyboardDistributor;
import io.jvmm.runtime.input.KeyboardInputResolver;
import io.jvmm.runtime.loader.ConfigurationException;
import io.jvmm.runtime.loader.FirmwareLoader;
import io.jvmm.runtime.loader.ImageFile;
import io.jvmm.runtime.loader.LinuxLoader;
import io.jvmm.runtime.loader.MachineConfig;
import io.jvmm.runtime.loader.PayloadException;
import io.jvmm.runtime.loader.RomMapper;
import io.jvmm.runtime.registry.ResolverRegistry;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Puts a VM together: manifest → resolved board → hypervisor partition → payload → vCPUs.
 *
 * <p>Per-VM "platform" resolvers (the host keyboard distributor) are registered here, next to
 * what the module layer provides.
 */
public final class VmLauncher {
    private final ModuleLayer layer;
    private final List<ResourceResolver<?, ?>> extraResolvers = new ArrayList<>();
    private Runnable firstExit;
    private boolean acpiTables;

    public VmLauncher(ModuleLayer layer) {
        this.layer = Objects.requireNonNull(layer, "layer");
    }

    /**
     * Calls {@code firstExit} at the guest's first I/O exit (boot profiling). Only then is the bus
     * wrapped, so the exit path costs nothing extra without profiling.
     */
    public VmLauncher profile(Runnable firstExit) {
        this.firstExit = firstExit;
        return this;
    }

    /**
     * Gives x86 Linux boots ACPI tables generated from the board (default off). Opt-in while the
     * Debian kernel, with ACPI, stalls in the nested-KVM L1 once it runs on the local APIC (issue 16).
     */
    public VmLauncher acpiTables(boolean on) {
        this.acpiTables = on;
        return this;
    }

    /** Adds a resolver for every VM this launcher builds (embedding, tests). */
    public VmLauncher addResolver(ResourceResolver<?, ?> resolver) {
        extraResolvers.add(resolver);
        return this;
    }

    /** What can go wrong while building, with the exit-code class of each. */
    public static final class LaunchException extends Exception {
        private final boolean configuration;

        LaunchException(String message, boolean configuration, Throwable cause) {
            super(message, cause);
            this.configuration = configuration;
        }

        /** True for errors in the user's configuration (exit code 2), false for VM/host failures (1). */
        public boolean isConfiguration() {
            return configuration;
        }
    }

    /** Builds the VM; nothing runs yet. */
    public LaunchedVm launch(VmSpec spec, HypervisorProvider hypervisor) throws LaunchException {
        MachineConfig machine;
        try {
            machine = MachineConfig.of(spec.memoryBytes(), spec.vcpus(), hypervisor.maxVcpus());
        } catch (ConfigurationException e) {
            throw new LaunchException(e.getMessage(), true, e);
        }
        KeyboardDistributor keyboard = new KeyboardDistributor();
        ResolverRegistry.Builder rb = ResolverRegistry.builder().loadFrom(layer).add(new KeyboardInputResolver(keyboard));
        extraResolvers.forEach(rb::add);
        ResolverRegistry registry = rb.build();

        Partition partition;
        try {
            partition = hypervisor.createPartition(new PartitionConfig(spec.manifest().arch(), machine.memoryBytes(),
                    machine.vcpuCount()));
        } catch (HypervisorException e) {
            throw new LaunchException("could not create the VM: " + e.getMessage(), false, e);
        }
        PowerRelay power = new PowerRelay();
        HostVmClock clock = new HostVmClock();
        Chipset chipset;
        try {
            chipset = new ChipsetBuilder(spec.manifest(), registry, hypervisor.suppliedDevices(spec.manifest().arch()),
                    power, clock, partition.irqLines())
                    // firmware reads the memory size from CMOS
                    .baseDeviceHandle(CmosRtcHandle.ID, new CmosRtcHandle(machine.memoryBytes(), ZoneOffset.UTC))
                    .build();
        } catch (ChipsetBuildException e) {
            partition.close();
            throw new LaunchException(e.getMessage(), true, e);
        }
        // x86 Linux boots can get ACPI tables describing this board (fixed for the VM's life)
        AcpiTables acpi = acpiTables && spec.manifest().arch() == MachineArch.X86_64
                ? ChipsetAcpi.tables(spec.manifest(), chipset, machine.vcpuCount()) : null;
        PayloadLoader loader = payloadLoader(spec.payload(), acpi);
        // Check the payload now, so a bad kernel is a configuration error before any vCPU runs.
        CpuBootState first;
        try {
            first = loader.load(partition);
        } catch (PayloadException e) {
            chipset.close();
            partition.close();
            throw new LaunchException(e.getMessage(), true, e);
        } catch (Exception e) {
            chipset.close();
            partition.close();
            throw new LaunchException("could not load " + spec.payload().describe() + ": " + e.getMessage(), false, e);
        }
        PayloadLoader reloading = new PayloadLoader() {
            private boolean firstUsed;

            @Override
            public CpuBootState load(Partition p) throws Exception {
                if (!firstUsed) {
                    firstUsed = true;
                    return first;
                }
                return loader.load(p);
            }
        };
        IoBus bus = firstExit == null ? chipset.board() : new FirstExitBus(chipset.board(), firstExit);
        DeviceRunner runner = chipset.runner();
        ChipsetControl control = new ChipsetControl() {
            @Override
            public void start() {
                runner.start();
            }

            @Override
            public void stop() {
                runner.stop();
            }

            @Override
            public void reset() {
                runner.reset();
            }
        };
        VirtualMachine vm = new VirtualMachine(partition, bus, control, reloading, spec.onReset());
        power.target(vm);
        return new LaunchedVm(spec, partition, chipset, vm, keyboard, registry);
    }

    private static PayloadLoader payloadLoader(GuestPayload payload, AcpiTables acpi) {
        if (payload instanceof GuestPayload.Firmware f) {
            // named, so that a bad image's message says which file it is
            ImageFile image = new ImageFile(f.name(), f.image());
            OnceRomMapper rom = new OnceRomMapper();
            return p -> FirmwareLoader.load(p.memory(), (gpa, bytes) -> rom.map(p, gpa, bytes), image).bootState();
        }
        GuestPayload.Linux l = (GuestPayload.Linux) payload;
        ImageFile kernel = new ImageFile(l.name(), l.kernel());
        byte[] rd = l.initrd();
        ImageFile initrd = rd == null ? null : new ImageFile("initrd", rd);
        String cmdline = l.cmdline();
        return p -> LinuxLoader.load(p.memory(), kernel, initrd, cmdline, acpi).bootState();
    }

    /** ROM stays mapped across resets: mapping the same image at the same place again is a no-op. */
    private static final class OnceRomMapper {
        private long mappedGpa = -1;
        private byte[] mappedBytes;

        synchronized void map(Partition partition, long gpa, byte[] bytes) throws HypervisorException {
            if (mappedBytes != null && mappedGpa == gpa && Arrays.equals(mappedBytes, bytes)) {
                return;
            }
            partition.mapRom(gpa, bytes);
            mappedGpa = gpa;
            mappedBytes = bytes.clone();
        }
    }
}
