package io.jvmm.runtime.vm;

import io.jvmm.api.device.MessageInterrupts;
import io.jvmm.api.handles.CmosRtcHandle;
import io.jvmm.api.handles.MultiplexedKeyboardHandle;
import io.jvmm.api.hv.CpuBootState;
import io.jvmm.api.hv.GuestMemory;
import io.jvmm.api.hv.HypervisorException;
import io.jvmm.api.hv.HypervisorProvider;
import io.jvmm.api.hv.IoBus;
import io.jvmm.api.hv.MachineArch;
import io.jvmm.api.hv.Partition;
import io.jvmm.api.hv.PartitionConfig;
import io.jvmm.api.resource.ResourceKinds;
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
import io.jvmm.runtime.loader.LoadedPayload;
import io.jvmm.runtime.manifest.VmManifest;
import io.jvmm.runtime.registry.ResolverRegistry;
import io.jvmm.runtime.serial.CheckingSerialResolvers;
import io.jvmm.runtime.snapshot.MachineState;
import io.jvmm.runtime.snapshot.Snapshot;
import io.jvmm.runtime.snapshot.SnapshotInfo;
import io.jvmm.api.device.SaveRestore;
import io.jvmm.runtime.board.BoardDevice;
import java.util.Set;
import java.util.stream.Collectors;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Puts a VM together in two stages. {@link #prepare} needs no hypervisor: it resolves the manifest
 * into a board (devices, regions, lines) and checks the payload against the VM's memory size,
 * reporting every problem at once. {@link #launch(PreparedVm, HypervisorProvider)} then creates the
 * partition, connects the board's {@code irq} lines to it, loads the payload and makes the vCPUs.
 * So a configuration error never reaches the hypervisor, and {@code jvmm check} runs the first
 * stage alone ({@link #checkOnly()}).
 *
 * <p>Per-VM "platform" resolvers (the host keyboard distributor) are registered here, next to
 * what the module layer provides.
 *
 * <p>This is the embedding API: one launcher builds any number of VMs in one process, each with its
 * own board, devices, partition, guest RAM and threads (named after {@link VmSpec#name()}), and its
 * own life cycle ({@link LaunchedVm#run()} on a thread of the caller's). Nothing of one VM is shared
 * with another but loaded classes, the providers' resolver instances ({@link #providers}), the
 * resolvers given to {@link #addResolver} (one instance for all VMs) and the hypervisor provider,
 * so a guest crash, a device that throws or a vCPU thread that fails ends that VM alone, with its
 * own {@link VmOutcome} ({@code examples/multi-vm} runs many).
 */
public final class VmLauncher {
    private final ModuleLayer layer;
    private final List<ResourceResolver<?, ?>> extraResolvers = new ArrayList<>();
    /** The providers every board starts from; null: loaded from {@link #layer} for each board. */
    private ResolverRegistry providers;
    private Runnable firstExit;
    private boolean checkOnly;
    private boolean acpiTables;
    private boolean acpiTablesForFirmware;

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
     * Gives x86 Linux boots ACPI tables generated from the board (off unless asked for here; {@code
     * jvmm run} asks unless {@code --no-acpi}). The tables are built in both stages: {@link #prepare}
     * checks the payload with them, {@link #launch} loads them. (Issue 16's stall in the nested-KVM L1
     * was QEMU's TCG SVM with 2 L1 CPUs, not the tables: the L1 runs with 1 CPU now.)
     */
    public VmLauncher acpiTables(boolean on) {
        this.acpiTables = on;
        return this;
    }

    /**
     * Also gives x86 firmware of at most 64 KiB the tables (at 0xE0000, below its low copy), for
     * guests of ours that walk them as an OS would; off unless asked for ({@code jvmm run --acpi}
     * given explicitly): firmware normally brings its own tables, or none.
     */
    public VmLauncher acpiTablesForFirmware(boolean on) {
        this.acpiTablesForFirmware = on;
        return this;
    }

    /**
     * The ACPI tables for a board, or null: tables are off for this kind of payload ({@link
     * #acpiTables(boolean)}, {@link #acpiTablesForFirmware(boolean)}), or the guest is not x86. {@code jvmm
     * check} passes them to {@link #checkPayload(GuestPayload, long, AcpiTables)}.
     *
     * @param payload what is booted; null for "not known", which gets no tables
     */
    public AcpiTables tablesFor(VmManifest manifest, PreparedBoard board, int vcpus, GuestPayload payload)
            throws LaunchException {
        return acpiTables(manifest, board.chipset(), vcpus, payload);
    }

    /** @throws LaunchException (a configuration error) when this board cannot be described */
    private AcpiTables acpiTables(VmManifest manifest, Chipset chipset, int vcpus, GuestPayload payload)
            throws LaunchException {
        boolean wanted = payload instanceof GuestPayload.Linux ? acpiTables
                : payload instanceof GuestPayload.Firmware && acpiTablesForFirmware;
        if (!wanted || manifest.arch() != MachineArch.X86_64) {
            return null;
        }
        AcpiTables tables;
        try {
            tables = ChipsetAcpi.tables(manifest, chipset, vcpus);
        } catch (RuntimeException e) {
            throw new LaunchException("could not build the ACPI tables for this board: " + e.getMessage()
                    + " (--no-acpi boots the kernel without them)", true, e);
        }
        if (payload instanceof GuestPayload.Firmware firmware) {
            // Asked for explicitly: say so when they cannot be given, rather than boot without them.
            long lowCopy = 0x10_0000L - Math.min(firmware.image().length, FirmwareLoader.LOW_MIRROR_BYTES);
            long end = tables.base() + tables.image().length;
            if (end > lowCopy) {
                throw new LaunchException(String.format("--acpi: the ACPI tables [0x%x, 0x%x) would overlap the "
                        + "low copy of the %d-byte firmware at [0x%x, 0x100000); tables go with firmware of at most "
                        + "64 KiB (drop --acpi)", tables.base(), end, firmware.image().length, lowCopy), true, null);
            }
        }
        return tables;
    }

    /**
     * Builds every board from {@code providers}, the module layer's resolvers loaded once (e.g.
     * {@code ResolverRegistry.builder().loadFrom(layer).build()}), instead of scanning the module
     * layer with {@link java.util.ServiceLoader} for each VM: a process that runs many VMs loads its
     * providers once. The resolvers are then shared by every VM this launcher builds, possibly from
     * several threads at once, which suits the stateless factories that providers are. The launcher
     * adds the host keyboard resolver to each board's own registry itself, one per VM, so {@code
     * providers} must not contain one (a registry made to check a manifest, with a keyboard
     * resolver added, is refused). {@link #addResolver}'s resolvers are added to every board too, but
     * as the one instance given, shared by all the VMs.
     *
     * @throws IllegalArgumentException when {@code providers} holds a {@code keyboard_input}
     *     resolver with the per-VM keyboard's id
     */
    public VmLauncher providers(ResolverRegistry providers) {
        Objects.requireNonNull(providers, "providers");
        String kind = ResourceKinds.KEYBOARD_INPUT.name();
        if (providers.find(kind, MultiplexedKeyboardHandle.ID).isPresent()) {
            throw new IllegalArgumentException("the providers already contain the " + kind + ":"
                    + MultiplexedKeyboardHandle.ID + " resolver, which the launcher adds to each VM's board "
                    + "itself (one host keyboard per VM); pass the module layer's resolvers alone "
                    + "(ResolverRegistry.builder().loadFrom(layer).build())");
        }
        this.providers = providers;
        return this;
    }

    /** Adds a resolver for every VM this launcher builds (embedding, tests). */
    public VmLauncher addResolver(ResourceResolver<?, ?> resolver) {
        extraResolvers.add(resolver);
        return this;
    }

    /**
     * Boards of this launcher are only checked, never run: the serial backends that reach the host
     * (stdio, file, tcp) are stand-ins that check their configuration and open nothing
     * ({@link CheckingSerialResolvers}), and {@link #launch} is refused.
     */
    public VmLauncher checkOnly() {
        this.checkOnly = true;
        return this;
    }

    /** What can go wrong while building, with the exit-code class and every problem found. */
    public static final class LaunchException extends Exception {
        private final boolean configuration;
        private final List<String> messages;
        private final List<String> problems;

        LaunchException(String message, boolean configuration, Throwable cause) {
            super(message, cause);
            this.configuration = configuration;
            this.messages = List.of(message);
            this.problems = List.of(message);
        }

        /** The board's and the payload's problems, found together. */
        LaunchException(List<LaunchException> all) {
            super(all.stream().map(Exception::getMessage).collect(Collectors.joining("\n")), all.get(0).getCause());
            this.configuration = all.stream().allMatch(LaunchException::isConfiguration);
            this.messages = all.stream().flatMap(e -> e.messages().stream()).toList();
            this.problems = all.stream().flatMap(e -> e.problems().stream()).toList();
            all.stream().skip(1).forEach(this::addSuppressed);
        }

        private LaunchException(ChipsetBuildException e) {
            super(e.getMessage(), e);
            this.configuration = true;
            this.messages = List.of(e.getMessage());
            this.problems = e.problems();
        }

        /** True for errors in the user's configuration (exit code 2), false for VM/host failures (1). */
        public boolean isConfiguration() {
            return configuration;
        }

        /**
         * One message per stage that failed (the board's, which lists its problems under a
         * headline, and the payload's): what {@code run} prints.
         */
        public List<String> messages() {
            return messages;
        }

        /** Each problem on its own (every missing resolver, failed device, region conflict, bad image). */
        public List<String> problems() {
            return problems;
        }
    }

    /**
     * A board resolved and checked without a hypervisor, its {@code irq} lines not connected yet.
     * Closing it closes the devices and the host backends they opened.
     */
    public static final class PreparedBoard implements AutoCloseable {
        private final Chipset chipset;
        private final ResolverRegistry registry;
        private final KeyboardDistributor keyboard;
        private final PowerRelay power;

        private PreparedBoard(Chipset chipset, ResolverRegistry registry, KeyboardDistributor keyboard, PowerRelay power) {
            this.chipset = chipset;
            this.registry = registry;
            this.keyboard = keyboard;
            this.power = power;
        }

        public Chipset chipset() {
            return chipset;
        }

        @Override
        public void close() {
            chipset.close();
        }
    }

    /**
     * Stage one done: the board, and the payload checked against the memory size.
     *
     * @param payload what the loader said about the payload, e.g. its protocol and entry point
     */
    public record PreparedVm(VmSpec spec, PreparedBoard board, String payload) implements AutoCloseable {
        @Override
        public void close() {
            board.close();
        }
    }

    /**
     * Resolves {@code manifest} into a board without a hypervisor.
     *
     * @param memoryBytes the VM's memory (the CMOS RTC reports it to firmware)
     * @param hypervisorDevices base-chipset devices the chosen backend supplies itself (not built)
     * @param leaveOut manifest devices not to build (their missing resources are reported already)
     * @throws LaunchException listing every missing resolver, failed device and region conflict
     */
    public PreparedBoard prepareBoard(VmManifest manifest, long memoryBytes, Set<String> hypervisorDevices,
            Set<String> leaveOut) throws LaunchException {
        return prepareBoard(manifest, memoryBytes, hypervisorDevices, leaveOut, false);
    }

    /**
     * {@link #prepareBoard(VmManifest, long, Set, Set)} for a hypervisor that does or does not
     * deliver message-signalled interrupts: with them, PCI devices may offer MSI-X.
     */
    public PreparedBoard prepareBoard(VmManifest manifest, long memoryBytes, Set<String> hypervisorDevices,
            Set<String> leaveOut, boolean messageInterrupts) throws LaunchException {
        return prepareBoard(manifest, memoryBytes, hypervisorDevices, leaveOut, messageInterrupts, VmSpec.DEFAULT_NAME);
    }

    private PreparedBoard prepareBoard(VmManifest manifest, long memoryBytes, Set<String> hypervisorDevices,
            Set<String> leaveOut, boolean messageInterrupts, String vmName) throws LaunchException {
        KeyboardDistributor keyboard = new KeyboardDistributor();
        ResolverRegistry.Builder rb = ResolverRegistry.builder();
        if (providers == null) {
            rb.loadFrom(layer);
        } else {
            rb.addAll(providers);
        }
        rb.add(new KeyboardInputResolver(keyboard));
        extraResolvers.forEach(rb::add);
        if (checkOnly) {
            CheckingSerialResolvers.all().forEach(rb::replace);
        }
        ResolverRegistry registry = rb.build();
        PowerRelay power = new PowerRelay();
        try {
            Chipset chipset = new ChipsetBuilder(manifest, registry, hypervisorDevices, power, new HostVmClock())
                    // firmware reads the memory size from CMOS
                    .baseDeviceHandle(CmosRtcHandle.ID, new CmosRtcHandle(memoryBytes, ZoneOffset.UTC))
                    .leaveOut(leaveOut)
                    .messageInterrupts(messageInterrupts)
                    .deviceThreadName(vmName + "-devices")
                    .build();
            return new PreparedBoard(chipset, registry, keyboard, power);
        } catch (ChipsetBuildException e) {
            throw new LaunchException(e);
        }
    }

    /**
     * Runs the payload's loader against {@code memoryBytes} of RAM that stores nothing: the image
     * checks (bzImage, ELF, firmware) and whether it fits, with no hypervisor.
     *
     * @return the loader's description of the payload
     * @throws LaunchException (a configuration error) naming what is wrong with the payload
     */
    public static String checkPayload(GuestPayload payload, long memoryBytes) throws LaunchException {
        return checkPayload(payload, memoryBytes, null);
    }

    /**
     * {@link #checkPayload(GuestPayload, long)} with the board's ACPI tables loaded too.
     *
     * @param acpi the tables, or null for none
     */
    public static String checkPayload(GuestPayload payload, long memoryBytes, AcpiTables acpi) throws LaunchException {
        try {
            return payloadLoader(payload, acpi).load(new CheckingGuestMemory(memoryBytes), (gpa, bytes) -> { }).description();
        } catch (PayloadException e) {
            throw new LaunchException(e.getMessage(), true, e);
        } catch (Exception e) {
            // writes outside RAM: the payload does not fit this memory size
            throw new LaunchException("could not load " + payload.describe() + ": " + e.getMessage(), true, e);
        }
    }

    /**
     * Stage one: the board and the payload, both checked without a hypervisor.
     *
     * @throws LaunchException listing the board's problems and the payload's together
     */
    public PreparedVm prepare(VmSpec spec, Set<String> hypervisorDevices) throws LaunchException {
        return prepare(spec, hypervisorDevices, false);
    }

    /**
     * {@link #prepare(VmSpec, Set)} for a backend that does or does not deliver message-signalled
     * interrupts ({@link HypervisorProvider#deliversMessageInterrupts}); with them, PCI devices may
     * offer MSI-X, and {@link #launch(PreparedVm, HypervisorProvider)} needs a partition that has them.
     */
    public PreparedVm prepare(VmSpec spec, Set<String> hypervisorDevices, boolean messageInterrupts)
            throws LaunchException {
        List<LaunchException> problems = new ArrayList<>();
        PreparedBoard board = null;
        try {
            board = prepareBoard(spec.manifest(), spec.memoryBytes(), hypervisorDevices, Set.of(), messageInterrupts,
                    spec.name());
        } catch (LaunchException e) {
            problems.add(e);
        }
        String payload = null;
        try {
            payload = checkPayload(spec.payload(), spec.memoryBytes(),
                    board == null ? null : tablesFor(spec.manifest(), board, spec.vcpus(), spec.payload()));
        } catch (LaunchException e) {
            problems.add(e);
        }
        if (!problems.isEmpty()) {
            if (board != null) {
                board.close();
            }
            throw problems.size() == 1 ? problems.get(0) : new LaunchException(problems);
        }
        return new PreparedVm(spec, board, payload);
    }

    /** Both stages: {@link #prepare} with the backend's own devices, then {@link #launch(PreparedVm, HypervisorProvider)}. */
    public LaunchedVm launch(VmSpec spec, HypervisorProvider hypervisor) throws LaunchException {
        MachineArch arch = spec.manifest().arch();
        return launch(prepare(spec, hypervisor.suppliedDevices(arch), hypervisor.deliversMessageInterrupts(arch)),
                hypervisor);
    }

    /**
     * Stage two: creates the partition for a prepared VM and builds the VM; nothing runs yet. Takes
     * ownership of {@code prepared}: on failure it is closed.
     */
    public LaunchedVm launch(PreparedVm prepared, HypervisorProvider hypervisor) throws LaunchException {
        if (checkOnly) {
            prepared.close();
            throw new IllegalStateException("this launcher only checks (its serial backends are stand-ins)");
        }
        VmSpec spec = prepared.spec();
        Chipset chipset = prepared.board().chipset();
        MachineConfig machine;
        try {
            machine = MachineConfig.of(spec.memoryBytes(), spec.vcpus(), hypervisor.maxVcpus());
        } catch (ConfigurationException e) {
            prepared.close();
            throw new LaunchException(e.getMessage(), true, e);
        }
        Partition partition = createAndConnect(prepared, hypervisor, new PartitionConfig(spec.manifest().arch(),
                machine.memoryBytes(), machine.vcpuCount()));
        PartitionPayload payload = payloadFor(prepared, partition, machine);
        AcpiTables acpi = payload.acpi();
        MemoryLoader toMemory = payload.toMemory();
        OnceRomMapper rom = payload.rom();
        PayloadLoader loader = payload.loader();
        // The payload was checked in prepare(); what fails now is the host (memory, ROM mapping).
        CpuBootState first;
        try {
            first = loader.load(partition);
        } catch (PayloadException e) {
            prepared.close();
            partition.close();
            throw new LaunchException(e.getMessage(), true, e);
        } catch (Exception e) {
            prepared.close();
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
        VirtualMachine vm = new VirtualMachine(partition, bus, control(chipset.runner()), reloading, spec.onReset(),
                false, spec.name());
        prepared.board().power.target(vm);
        return new LaunchedVm(spec, partition, chipset, vm, prepared.board().keyboard, prepared.board().registry,
                hypervisor.name(), acpi != null);
    }

    /**
     * Creates the partition and connects the board to it (lines, DMA, doorbells, MSI). On failure
     * both are closed.
     */
    private static Partition createAndConnect(PreparedVm prepared, HypervisorProvider hypervisor, PartitionConfig config)
            throws LaunchException {
        Chipset chipset = prepared.board().chipset();
        Partition partition;
        try {
            partition = hypervisor.createPartition(config);
        } catch (HypervisorException | RuntimeException e) {
            prepared.close();
            throw new LaunchException("could not create the VM: " + e.getMessage(), false, e);
        }
        chipset.connectExternalIrq(partition.irqLines());
        chipset.connectGuestMemory(partition.memory().dma());
        chipset.connectDoorbells(partition.doorbells()); // the notification fast path, where the backend has it
        if (chipset.usesMessageInterrupts()) {
            Optional<MessageInterrupts> msi = partition.messageInterrupts();
            if (msi.isEmpty()) {
                prepared.close();
                partition.close();
                throw new LaunchException("the " + hypervisor.name() + " backend said it delivers message-signalled "
                        + "interrupts (MSI-X), but its VM has none", false, null);
            }
            chipset.connectMessageInterrupts(msi.get());
        }
        return partition;
    }

    /**
     * Stage two for a snapshot: a prepared VM built from the snapshot's manifest and payload gets a
     * partition whose RAM is the snapshot's memory image (mapped copy-on-write by the backend), the
     * payload's ROM mapped again (ROM is not RAM, so it is not in the image), then the partition's,
     * every vCPU's and every device's state restored, in that order. Nothing runs yet; {@link
     * LaunchedVm#run()} continues the guest where it was. Takes ownership of {@code prepared}.
     *
     * @throws LaunchException a configuration error (exit 2) for a snapshot of another backend,
     *     memory size or vCPU count, a device set that differs from the snapshot's, or state that
     *     does not parse (naming the device or vCPU); a host failure otherwise
     */
    public LaunchedVm restore(PreparedVm prepared, HypervisorProvider hypervisor, Snapshot snapshot)
            throws LaunchException {
        if (checkOnly) {
            prepared.close();
            throw new IllegalStateException("this launcher only checks (its serial backends are stand-ins)");
        }
        VmSpec spec = prepared.spec();
        Chipset chipset = prepared.board().chipset();
        SnapshotInfo info = snapshot.info();
        List<String> problems = new ArrayList<>();
        if (!hypervisor.name().equals(info.hypervisor())) {
            problems.add("the snapshot was taken with the " + info.hypervisor() + " backend; this run uses "
                    + hypervisor.name() + " (--hypervisor " + info.hypervisor() + ")");
        }
        if (spec.memoryBytes() != info.memoryBytes() || spec.vcpus() != info.vcpus()) {
            problems.add("the snapshot is of a VM with " + info.memoryBytes() + " bytes of RAM and " + info.vcpus()
                    + " vCPUs; this run asks for " + spec.memoryBytes() + " and " + spec.vcpus());
        }
        problems.addAll(deviceStateProblems(chipset, snapshot.state()));
        MachineConfig machine = null;
        try {
            machine = MachineConfig.of(spec.memoryBytes(), spec.vcpus(), hypervisor.maxVcpus());
        } catch (ConfigurationException e) {
            problems.add("the snapshot's VM does not fit this host: " + e.getMessage());
        }
        if (!problems.isEmpty()) {
            prepared.close();
            throw new LaunchException(problems.stream().map(m -> new LaunchException(m, true, null)).toList());
        }
        Partition partition = createAndConnect(prepared, hypervisor, new PartitionConfig(spec.manifest().arch(),
                machine.memoryBytes(), machine.vcpuCount()).withMemoryImage(snapshot.memoryImage()));
        PartitionPayload payload = payloadFor(prepared, partition, machine);
        AcpiTables acpi = payload.acpi();
        MemoryLoader toMemory = payload.toMemory();
        OnceRomMapper rom = payload.rom();
        PayloadLoader loader = payload.loader();
        String restoring = "the partition (in-kernel interrupt controllers, timer, clock)";
        try {
            // The loader again, into memory that stores nothing: RAM keeps the snapshot's content, but
            // the ROM it maps (not RAM, so not in memory.bin) is back where the guest had it.
            toMemory.load(new CheckingGuestMemory(spec.memoryBytes()), (gpa, bytes) -> rom.map(partition, gpa, bytes));
            partition.restoreState(snapshot.state().partition());
            for (int i = 0; i < machine.vcpuCount(); i++) {
                restoring = "vCPU " + i;
                partition.vcpu(i).restoreState(snapshot.state().vcpus().get(i));
            }
            for (BoardDevice d : chipset.devices()) {
                restoring = "device " + d.name();
                SaveRestore sr = d.device().capabilities().savedState().orElseThrow();
                sr.restore(snapshot.state().devices().get(d.name()));
            }
        } catch (IllegalArgumentException e) {
            prepared.close();
            partition.close();
            throw new LaunchException("snapshot " + snapshot.dir() + ": the state of " + restoring
                    + " cannot be restored: " + e.getMessage(), true, e);
        } catch (Exception e) {
            prepared.close();
            partition.close();
            throw new LaunchException("restoring " + restoring + " from snapshot " + snapshot.dir() + " failed: "
                    + e.getMessage(), false, e);
        }
        IoBus bus = firstExit == null ? chipset.board() : new FirstExitBus(chipset.board(), firstExit);
        VirtualMachine vm = new VirtualMachine(partition, bus, control(chipset.runner()), loader, spec.onReset(), true,
                spec.name());
        prepared.board().power.target(vm);
        return new LaunchedVm(spec, partition, chipset, vm, prepared.board().keyboard, prepared.board().registry,
                hypervisor.name(), acpi != null);
    }

    /**
     * Where the board's devices and the snapshot's device states do not match one to one, by name;
     * a device without {@link SaveRestore} cannot be restored at all.
     */
    static List<String> deviceStateProblems(Chipset chipset, MachineState state) {
        List<String> problems = new ArrayList<>();
        Set<String> names = new java.util.LinkedHashSet<>();
        for (BoardDevice d : chipset.devices()) {
            names.add(d.name());
            if (d.device().capabilities().savedState().isEmpty()) {
                problems.add("device " + d.name() + " cannot restore saved state (it has no SaveRestore)");
            } else if (!state.devices().containsKey(d.name())) {
                problems.add("the snapshot has no state for device " + d.name() + " of this board");
            }
        }
        for (String saved : state.devices().keySet()) {
            if (!names.contains(saved)) {
                problems.add("the snapshot has state for a device " + saved + ", which this board does not have");
            }
        }
        return problems;
    }

    private static ChipsetControl control(DeviceRunner runner) {
        return new ChipsetControl() {
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
    }

    /**
     * What loads the payload into a new partition: the board's ACPI tables (x86 Linux boots can get
     * tables describing the board, fixed for the VM's life), the loader into memory, and the ROM
     * mapper that keeps firmware mapped across resets.
     */
    private record PartitionPayload(AcpiTables acpi, MemoryLoader toMemory, OnceRomMapper rom, PayloadLoader loader) {}

    /** The payload's loaders for {@code partition}; on failure the prepared VM and the partition are closed. */
    private PartitionPayload payloadFor(PreparedVm prepared, Partition partition, MachineConfig machine)
            throws LaunchException {
        VmSpec spec = prepared.spec();
        AcpiTables acpi;
        try {
            acpi = acpiTables(spec.manifest(), prepared.board().chipset(), machine.vcpuCount(), spec.payload());
        } catch (LaunchException e) {
            prepared.close();
            partition.close();
            throw e;
        }
        MemoryLoader toMemory = payloadLoader(spec.payload(), acpi);
        OnceRomMapper rom = new OnceRomMapper();
        return new PartitionPayload(acpi, toMemory, rom,
                p -> toMemory.load(p.memory(), (gpa, bytes) -> rom.map(p, gpa, bytes)).bootState());
    }

    /** Loads a payload into some memory: a partition's, or {@link CheckingGuestMemory} to check it. */
    @FunctionalInterface
    private interface MemoryLoader {
        LoadedPayload load(GuestMemory memory, RomMapper rom) throws Exception;
    }

    private static MemoryLoader payloadLoader(GuestPayload payload, AcpiTables acpi) {
        if (payload instanceof GuestPayload.Firmware f) {
            // named, so that a bad image's message says which file it is
            ImageFile image = new ImageFile(f.name(), f.image());
            return (memory, rom) -> FirmwareLoader.load(memory, rom, image, acpi);
        }
        GuestPayload.Linux l = (GuestPayload.Linux) payload;
        ImageFile kernel = new ImageFile(l.name(), l.kernel());
        byte[] rd = l.initrd();
        ImageFile initrd = rd == null ? null : new ImageFile("initrd", rd);
        String cmdline = l.cmdline();
        return (memory, rom) -> LinuxLoader.load(memory, rom, kernel, initrd, cmdline, acpi);
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
