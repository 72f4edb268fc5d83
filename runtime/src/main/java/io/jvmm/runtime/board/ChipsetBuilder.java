package io.jvmm.runtime.board;

import io.jvmm.api.support.LogRateLimiter;
import io.jvmm.runtime.registry.RegisteredResolver;
import io.jvmm.api.device.BoardServices;
import io.jvmm.api.device.Capabilities;
import io.jvmm.api.device.IoRegion;
import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.DeviceLifecycle;
import io.jvmm.api.device.LineInterruptTarget;
import io.jvmm.api.device.MmioIntercept;
import io.jvmm.api.device.PollDevice;
import io.jvmm.api.device.PortIoIntercept;
import io.jvmm.api.device.VmClock;
import io.jvmm.api.handles.EmptyHandle;
import io.jvmm.api.resource.ResolveContext;
import io.jvmm.api.resource.ResolveException;
import io.jvmm.api.resource.Resource;
import io.jvmm.api.resource.ResourceHandle;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.runtime.manifest.BaseChipsetFlag;
import io.jvmm.runtime.manifest.ChipsetDeviceHandle;
import io.jvmm.runtime.manifest.VmManifest;
import io.jvmm.runtime.registry.ResolverRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Turns a manifest into a running board: resolves every device through the registry, collects
 * the regions they declare (their claims) and their lines, checks them, and builds the {@link Board}.
 *
 * <p>Order: first every resolver the manifest names is looked up (resolvers of nested resources, e.g.
 * a UART's backend, can only be found while the device is resolved). Then the base-chipset devices
 * (flag order; those the hypervisor supplies are skipped) and the manifest's devices (list order)
 * are resolved, and their regions claimed. Nothing stops at the first problem: a device without a
 * resolver is skipped, one that fails to initialize is recorded and skipped, and every missing
 * resolver, failed device and region conflict is reported in one {@link ChipsetBuildException}, so
 * that {@code jvmm check} (and {@code run}) can name them all at once.
 *
 * <p>The board needs no hypervisor: the {@code irq} line set is connected to the partition's
 * interrupt injection afterwards ({@link Chipset#connectExternalIrq}), so the whole board can be
 * built and checked before a partition exists.
 */
public final class ChipsetBuilder {
    /** The highest {@code irq} line routed to the hypervisor's interrupt injection. */
    public static final int MAX_EXTERNAL_IRQ = 1023;

    private final VmManifest manifest;
    private final ResolverRegistry registry;
    private final Set<String> hypervisorDevices;
    private final Consumer<PowerRequest> power;
    private final VmClock clock;
    /** Null when the partition's injection is connected later, by {@link Chipset#connectExternalIrq}. */
    private LineInterruptTarget externalIrq;
    private Set<String> leftOut = Set.of();
    private Duration deferredTimeout = Duration.ofSeconds(1);
    private boolean traceUnknownPio = false;
    private boolean traceUnknownMmio = true;
    private int logsPerSecond = 10;
    private String deviceThreads = "jvmm-devices";
    private final Map<String, ResourceHandle> baseHandles = new HashMap<>();
    private List<Chipset.Resolved> resolved;
    /** The devices that are PCI functions, in board order, while {@link #build()} runs. */
    private List<PendingFunction> pciFunctions;
    /** The guest memory every device gets; connected to the partition's RAM later. */
    private final LateDmaMemory memory = new LateDmaMemory();
    /** The MSI sender devices get, or null when the hypervisor does not deliver MSIs (the default). */
    private LateMessageInterrupts messageInterrupts;

    /** A device that is a PCI function, to be attached to the PCI bus once every device is built. */
    private record PendingFunction(String name, Object lock, io.jvmm.api.device.PciFunction function,
            LogRateLimiter errorLog) {}

    /**
     * @param manifest the devices to build
     * @param registry where their resolvers are found
     * @param hypervisorDevices base-chipset device ids (e.g. {@code generic_ioapic}) the hypervisor
     *     provides itself; their flags are not resolved
     * @param power receives the devices' power requests (device, action, cause); must not block
     * @param clock the VM clock handed to devices
     * @param externalIrq the hypervisor's interrupt injection: receives {@code irq} lines 0..{@value
     *     #MAX_EXTERNAL_IRQ} as the same numbers
     */
    public ChipsetBuilder(VmManifest manifest, ResolverRegistry registry, Set<String> hypervisorDevices,
            Consumer<PowerRequest> power, VmClock clock, LineInterruptTarget externalIrq) {
        this(manifest, registry, hypervisorDevices, power, clock);
        this.externalIrq = Objects.requireNonNull(externalIrq, "externalIrq");
    }

    /**
     * A builder whose {@code irq} lines are connected later, with {@link Chipset#connectExternalIrq},
     * once the hypervisor's partition exists (the board is built and checked first).
     */
    public ChipsetBuilder(VmManifest manifest, ResolverRegistry registry, Set<String> hypervisorDevices,
            Consumer<PowerRequest> power, VmClock clock) {
        this.manifest = Objects.requireNonNull(manifest, "manifest");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.hypervisorDevices = Set.copyOf(hypervisorDevices);
        this.power = Objects.requireNonNull(power, "power");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Manifest devices not to build, by name: those whose resources are already known to be
     * missing and reported, so a check can still build (and report on) the rest of the board.
     */
    public ChipsetBuilder leaveOut(Set<String> deviceNames) {
        this.leftOut = Set.copyOf(deviceNames);
        return this;
    }

    /**
     * Whether the hypervisor the board is built for delivers message-signalled interrupts
     * ({@code HypervisorProvider#deliversMessageInterrupts}); default no. With it, devices get a
     * {@code BoardServices#messageInterrupts()} sender (and PCI devices may offer MSI-X), which
     * {@link Chipset#connectMessageInterrupts} connects to the partition.
     */
    public ChipsetBuilder messageInterrupts(boolean delivered) {
        this.messageInterrupts = delivered ? new LateMessageInterrupts() : null;
        return this;
    }

    /**
     * The name of the board's device scheduler thread (default {@code jvmm-devices}); its poll
     * threads are called {@code NAME-poll-N}. A process running many VMs names each VM's apart.
     */
    public ChipsetBuilder deviceThreadName(String name) {
        if (name.isBlank()) {
            throw new IllegalArgumentException("the device thread name must not be blank");
        }
        this.deviceThreads = name;
        return this;
    }

    /** How long a vCPU waits for a deferred access (default 1 s); then the access fails. */
    public ChipsetBuilder deferredTimeout(Duration timeout) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("deferred I/O timeout must be positive, was " + timeout);
        }
        this.deferredTimeout = timeout;
        return this;
    }

    /** Initial unclaimed-port tracing (default off); switchable later on the {@link Board}. */
    public ChipsetBuilder traceUnknownPio(boolean on) {
        this.traceUnknownPio = on;
        return this;
    }

    /** Initial unclaimed-MMIO tracing (default on); switchable later on the {@link Board}. */
    public ChipsetBuilder traceUnknownMmio(boolean on) {
        this.traceUnknownMmio = on;
        return this;
    }

    /** Log lines per second allowed for unclaimed-access tracing and for each device's errors (default 10). */
    public ChipsetBuilder logsPerSecond(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("logs per second must be positive, was " + n);
        }
        this.logsPerSecond = n;
        return this;
    }

    /**
     * The handle for the base-chipset device {@code deviceId} (e.g. a {@code generic_cmos_rtc}
     * that knows the VM's memory size). Without one, the device's resolver parses an empty config.
     */
    public ChipsetBuilder baseDeviceHandle(String deviceId, ResourceHandle handle) {
        baseHandles.put(Objects.requireNonNull(deviceId), Objects.requireNonNull(handle));
        return this;
    }

    /** A device to build: its board name and resource. */
    private record Planned(String name, Resource<ChipsetDevice> resource, String origin) {}

    public Chipset build() throws ChipsetBuildException {
        List<Planned> plan = plan();
        List<String> missing = new ArrayList<>();
        List<String> failed = new ArrayList<>();
        plan = withResolvers(plan, missing);

        InterruptLines lines = new InterruptLines();
        DeviceRunner runner = new DeviceRunner(deviceThreads);
        IoRangeMap.Builder<DispatchTarget> pio = IoRangeMap.builder("pio");
        IoRangeMap.Builder<DispatchTarget> mmio = IoRangeMap.builder("mmio");
        List<BoardDevice> devices = new ArrayList<>();
        pciFunctions = new ArrayList<>();
        BarMappings bars = new BarMappings();
        DoorbellWiring doorbells = new DoorbellWiring();
        resolved = new ArrayList<>();
        try {
            for (Planned p : plan) {
                try {
                    devices.add(buildDevice(p, lines, runner, pio, mmio));
                } catch (ChipsetBuildException e) {
                    // go on: the other devices' problems (and the region conflicts) are reported with it
                    failed.addAll(e.problems());
                }
            }
            attachPciFunctions(devices, bars, doorbells, failed);
            List<String> conflicts = new ArrayList<>(pio.conflicts());
            conflicts.addAll(mmio.conflicts());
            throwIfAny(missing, failed, conflicts);
            Board board = new Board(pio.build(), mmio.build(), bars, deferredTimeout, traceUnknownPio,
                    traceUnknownMmio, logsPerSecond);
            Chipset chipset = new Chipset(board, devices, runner, lines, resolved, memory, doorbells, messageInterrupts);
            if (externalIrq != null) {
                chipset.connectExternalIrq(externalIrq);
            }
            return chipset;
        } catch (ChipsetBuildException | RuntimeException e) {
            runner.close();
            Chipset.closeDevices(devices); // e.g. a disk opened before another device failed: its lock goes
            Chipset.closeAll(resolved);
            throw e;
        }
    }

    /**
     * One exception for every problem. Where all are of one class the headline is that class's, as
     * it always was; a single failed device is its own message.
     */
    private static void throwIfAny(List<String> missing, List<String> failed, List<String> conflicts)
            throws ChipsetBuildException {
        int classes = (missing.isEmpty() ? 0 : 1) + (failed.isEmpty() ? 0 : 1) + (conflicts.isEmpty() ? 0 : 1);
        if (classes == 0) {
            return;
        }
        if (classes == 1 && failed.size() == 1) {
            throw new ChipsetBuildException(failed.get(0));
        }
        if (classes == 1 && !failed.isEmpty()) {
            throw new ChipsetBuildException(failed.size() + " device(s) could not be initialized:", failed);
        }
        if (classes == 1 && !missing.isEmpty()) {
            throw new ChipsetBuildException(missing.size() + " device(s) cannot be resolved:", missing);
        }
        if (classes == 1) {
            throw new ChipsetBuildException("detected " + conflicts.size()
                    + " region conflict(s) while building the board:", conflicts);
        }
        List<String> all = new ArrayList<>(missing);
        all.addAll(failed);
        all.addAll(conflicts);
        throw new ChipsetBuildException("the board has " + all.size() + " problems:", all);
    }

    private List<Planned> plan() throws ChipsetBuildException {
        List<Planned> plan = new ArrayList<>();
        for (BaseChipsetFlag flag : manifest.chipset().enabled()) {
            if (hypervisorDevices.contains(flag.deviceId())) {
                continue;
            }
            plan.add(new Planned(flag.deviceId(),
                    Resource.of(ResourceKinds.CHIPSET_DEVICE, flag.deviceId(), baseHandle(flag)),
                    "base-chipset flag " + flag.key()));
        }
        for (ChipsetDeviceHandle h : manifest.devices()) {
            if (leftOut.contains(h.name())) {
                continue;
            }
            plan.add(new Planned(h.name(), h.resource(), "manifest device"));
        }
        Map<String, Planned> byName = new HashMap<>();
        List<String> problems = new ArrayList<>();
        for (Planned p : plan) {
            Planned first = byName.putIfAbsent(p.name(), p);
            if (first != null) {
                problems.add("device name '" + p.name() + "' is used by both the " + first.origin() + " and a "
                        + p.origin() + "; rename the manifest device");
            }
        }
        if (!problems.isEmpty()) {
            throw new ChipsetBuildException("the manifest has duplicate device names:", problems);
        }
        return plan;
    }

    private ResourceHandle baseHandle(BaseChipsetFlag flag) throws ChipsetBuildException {
        ResourceHandle given = baseHandles.get(flag.deviceId());
        if (given != null) {
            return given;
        }
        Optional<RegisteredResolver> r = registry.find(ResourceKinds.CHIPSET_DEVICE.name(), flag.deviceId());
        if (r.isEmpty()) {
            return EmptyHandle.INSTANCE; // reported as missing by checkResolvers
        }
        try {
            return r.get().resolver().parseHandle(new EmptyConfig("$.chipset.base." + flag.key()));
        } catch (RuntimeException e) {
            throw new ChipsetBuildException("could not initialize " + flag.deviceId() + ": its default configuration "
                    + "is invalid: " + message(e), e);
        }
    }

    /**
     * Looks up every top-level resolver first, so the user learns about all missing plugins at once;
     * returns the devices that have one, and adds a message for each that has not to {@code missing}.
     */
    private List<Planned> withResolvers(List<Planned> plan, List<String> missing) {
        List<Planned> found = new ArrayList<>();
        for (Planned p : plan) {
            try {
                registry.require(p.resource().kind().name(), p.resource().id(), p.name());
                found.add(p);
            } catch (ResolveException e) {
                missing.add(e.getMessage());
            }
        }
        return found;
    }

    private BoardDevice buildDevice(Planned p, InterruptLines lines, DeviceRunner runner,
            IoRangeMap.Builder<DispatchTarget> pioMap, IoRangeMap.Builder<DispatchTarget> mmioMap)
            throws ChipsetBuildException {
        Object lock = new Object();
        DeviceRunner.Slot slot = runner.addSlot(p.name(), lock);
        DeviceServices services = new DeviceServices(p.name(), lock, lines, power, clock, slot, memory,
                messageInterrupts);
        Context context = new Context(p.name(), registry, services, resolved);
        ChipsetDevice device;
        Capabilities caps;
        PortIoIntercept pio;
        MmioIntercept mmio;
        List<IoRegion> pioRegions;
        List<IoRegion> mmioRegions;
        try {
            device = registry.resolve(p.resource(), context);
            // Capabilities and regions are asked for once, here; dispatch never probes the device again.
            caps = device.capabilities();
            if (caps == null) {
                throw new IllegalStateException("device '" + p.name() + "' returned null from capabilities() "
                        + "(it must return Capabilities.NONE or a value built with Capabilities.builder())");
            }
            pio = caps.portIo().orElse(null);
            mmio = caps.mmio().orElse(null);
            pioRegions = regions(pio == null ? List.of() : pio.pioRegions(), p.name(), "pioRegions()");
            mmioRegions = regions(mmio == null ? List.of() : mmio.mmioRegions(), p.name(), "mmioRegions()");
            slot.bind(caps.pollDevice().orElse(null), caps.lifecycle().orElse(null));
        } catch (ResolveException | RuntimeException e) {
            throw new ChipsetBuildException("could not initialize " + p.name() + ": " + message(e), e);
        }
        LogRateLimiter errorLog = new LogRateLimiter(logsPerSecond);
        DispatchTarget target = new DispatchTarget(p.name(), lock, pio, mmio, errorLog);
        if (caps.pciFunction().isPresent()) {
            pciFunctions.add(new PendingFunction(p.name(), lock, caps.pciFunction().get(), errorLog));
        }
        for (int i = 0; i < pioRegions.size(); i++) {
            IoRegion r = pioRegions.get(i);
            if (r.end() > 0xFFFF || r.start() < 0) {
                throw new ChipsetBuildException("could not initialize " + p.name() + ": port region " + r
                        + " is outside the port space 0x0-0xffff");
            }
            pioMap.add(new Region(p.name(), r.name(), r.start(), r.end()), target.region(i, r.start()));
        }
        for (int i = 0; i < mmioRegions.size(); i++) {
            IoRegion r = mmioRegions.get(i);
            mmioMap.add(new Region(p.name(), r.name(), r.start(), r.end()), target.region(i, r.start()));
        }
        return new BoardDevice(p.name(), device);
    }

    /**
     * Attaches every PCI function to the board's PCI bus (the first device offering
     * {@link Capabilities#pciBus()}), each through a {@link PciAttachment} that takes the function's
     * lock and maps its BARs into {@code bars}. A function without a bus, or that the bus refuses
     * (slot taken, bad header), is a failed device.
     */
    private void attachPciFunctions(List<BoardDevice> devices, BarMappings bars, DoorbellWiring doorbells,
            List<String> failed) {
        if (pciFunctions.isEmpty()) {
            return;
        }
        io.jvmm.api.device.PciBus bus = null;
        for (BoardDevice d : devices) {
            if (d.device().capabilities().pciBus().isPresent()) {
                bus = d.device().capabilities().pciBus().get();
                break;
            }
        }
        for (PendingFunction f : pciFunctions) {
            if (bus == null) {
                failed.add("could not initialize " + f.name() + ": it is a PCI device and the board has no PCI bus "
                        + "(set with_generic_pci_bus in the chipset)");
                continue;
            }
            try {
                PciAttachment a = new PciAttachment(f.name(), f.function(), f.lock(), bars, doorbells, f.errorLog());
                bus.attach(f.name(), a, a);
            } catch (RuntimeException e) {
                failed.add("could not initialize " + f.name() + ": " + message(e));
            }
        }
    }

    private static List<IoRegion> regions(List<IoRegion> declared, String device, String method) {
        if (declared == null) {
            throw new IllegalStateException("device '" + device + "' returned null from " + method
                    + " (it must return a list, empty if it has no regions)");
        }
        return List.copyOf(declared);
    }

    private static String message(Exception e) {
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }

    /**
     * The resolve context of one device: its name, nested resolution through the registry (each
     * nested object is recorded, so the chipset can reach and close it), its board services.
     */
    private record Context(String deviceName, ResolverRegistry registry, BoardServices board,
            List<Chipset.Resolved> resolved) implements ResolveContext {
        @Override
        public <T> T resolve(Resource<T> resource) throws ResolveException {
            T object = registry.resolve(resource, this);
            resolved.add(new Chipset.Resolved(deviceName, resource, object));
            return object;
        }
    }
}
