package io.jvmm.hv.kvm;

import com.sun.jna.Pointer;
import io.jvmm.api.device.LineInterruptTarget;
import io.jvmm.api.device.SavedStateBlob;
import io.jvmm.api.hv.DoorbellSupport;
import io.jvmm.api.device.MessageInterrupts;
import io.jvmm.api.hv.GuestMemory;
import io.jvmm.api.hv.HypervisorException;
import io.jvmm.api.hv.MachineArch;
import io.jvmm.api.hv.Partition;
import io.jvmm.api.hv.PartitionConfig;
import io.jvmm.api.hv.Vcpu;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A KVM VM: in-kernel PIC/IOAPIC/LAPIC and PIT, guest RAM in memory slots, ROM overlays, the
 * vCPUs, and doorbells through KVM_IOEVENTFD ({@link KvmDoorbells}).
 */
final class KvmPartition implements Partition {
    private static final Logger LOG = LoggerFactory.getLogger(KvmPartition.class);
    /** Where KVM keeps the real-mode TSS (3 pages), just below a 256 KiB BIOS ending at 4 GiB. */
    static final long TSS_ADDRESS = 0xfffb_d000L;
    private static final int[] IRQCHIP_IDS = {0, 1, 2}; // PIC master, PIC slave, IOAPIC

    /** A KVM memory slot: guest range, host address, flags, and whether it is guest RAM (not ROM). */
    private record Slot(int id, long gpa, long size, long hostAddress, int flags, boolean ram) {
        long end() {
            return gpa + size;
        }
    }

    /** A read-only region and the host memory behind it. */
    private record Rom(long gpa, long size, long hostAddress, ByteBuffer bytes) {}

    private final PartitionConfig config;
    private final int vmFd;
    private final KvmGuestMemory memory;
    private final KvmIrqLines irqLines;
    /** Null without KVM_CAP_SIGNAL_MSI. */
    private final KvmMsi msi;
    private final boolean readonlyMemory;
    private final List<KvmVcpu> vcpus = new ArrayList<>();
    private final List<Slot> slots = new ArrayList<>();
    private final List<Rom> roms = new ArrayList<>();
    private final List<NativeBuffer> initialIrqchips = new ArrayList<>();
    private NativeBuffer initialPit;
    /** What the host's KVM offers, kept for saving and checking vCPU state (set in setUp). */
    private CpuidTable supportedCpuid;
    private int[] msrIndexList;
    private int xsaveSize;
    private boolean xcrs;
    private boolean tscKhz;
    private boolean tscRestored;
    /** KVM_IOEVENTFD doorbells; null when the host's KVM lacks KVM_CAP_IOEVENTFD. */
    private KvmDoorbells doorbells;
    private int nextSlotId;
    private boolean closed;

    private KvmPartition(PartitionConfig config, int vmFd, KvmGuestMemory memory, boolean readonlyMemory,
            boolean signalMsi) {
        this.config = config;
        this.vmFd = vmFd;
        this.memory = memory;
        this.irqLines = new KvmIrqLines(vmFd);
        this.msi = signalMsi ? new KvmMsi(vmFd) : null;
        this.readonlyMemory = readonlyMemory;
    }

    /** @param host what {@code system} answered about the host's CPUs (asked once per provider) */
    static KvmPartition create(KvmSystem system, KvmSystem.HostCpus host, PartitionConfig config)
            throws HypervisorException {
        if (config.arch() != MachineArch.X86_64) {
            throw new HypervisorException("the kvm backend runs x86_64 guests only, not " + config.arch().label());
        }
        int max = system.maxVcpus();
        if (config.vcpuCount() > max) {
            throw new HypervisorException("this host's KVM supports at most " + max + " vCPUs; asked for "
                    + config.vcpuCount() + ": lower the vCPU count");
        }
        if (config.vcpuCount() > system.recommendedVcpus()) {
            LOG.warn("{} vCPUs on a host where KVM recommends at most {}: they will share host CPUs",
                    config.vcpuCount(), system.recommendedVcpus());
        }
        KickSignal kick = KickSignal.install();
        int vmFd = system.createVm();
        KvmGuestMemory memory;
        try {
            memory = KvmGuestMemory.allocate(config.memoryBytes(), config.memoryImage());
        } catch (HypervisorException | RuntimeException e) {
            LibC.close(vmFd);
            throw e;
        }
        KvmPartition partition = new KvmPartition(config, vmFd, memory,
                system.checkExtension(Kvm.CAP_READONLY_MEM) > 0, system.checkExtension(Kvm.CAP_SIGNAL_MSI) > 0);
        if (system.checkExtension(Kvm.CAP_IOEVENTFD) > 0) {
            partition.doorbells = new KvmDoorbells(vmFd, "vm" + vmFd);
        }
        try {
            partition.setUp(system, host, kick);
            return partition;
        } catch (HypervisorException | RuntimeException e) {
            partition.close();
            throw e;
        }
    }

    /** KVM's irqchip ids in routing entries. */
    static final int IRQCHIP_PIC_MASTER = 0;
    static final int IRQCHIP_PIC_SLAVE = 1;
    static final int IRQCHIP_IOAPIC = 2;
    static final int IOAPIC_PINS = 24;

    /**
     * The PC's interrupt wiring, as the MADT states it and as QEMU sets it up for its in-kernel
     * irqchip ({@code kvm_pc_setup_irq_routing}): GSI n reaches the 8259 input n (n &lt; 16, except the
     * cascade input 2) and IOAPIC pin n, except GSI 0, the PIT's (KVM's in-kernel PIT raises GSI 0),
     * which reaches IOAPIC pin 2 — the MADT's interrupt source override IRQ 0 → GSI 2. KVM's default
     * table wires GSI 0 to pin 0 instead, which an OS that reads the override never unmasks.
     */
    static NativeBuffer pcRouting() {
        int[][] routes = new int[15 + IOAPIC_PINS - 1][];
        int n = 0;
        for (int gsi = 0; gsi < 16; gsi++) {
            if (gsi != 2) {
                routes[n++] = new int[] {gsi, gsi < 8 ? IRQCHIP_PIC_MASTER : IRQCHIP_PIC_SLAVE, gsi % 8};
            }
        }
        for (int gsi = 0; gsi < IOAPIC_PINS; gsi++) {
            if (gsi != 2) {
                routes[n++] = new int[] {gsi, IRQCHIP_IOAPIC, gsi == 0 ? 2 : gsi};
            }
        }
        NativeBuffer table = new NativeBuffer(Kvm.IRQ_ROUTING_HEADER_SIZE + n * Kvm.IRQ_ROUTING_ENTRY_SIZE);
        table.bytes.putInt(0, n);
        for (int i = 0; i < n; i++) {
            int at = Kvm.IRQ_ROUTING_HEADER_SIZE + i * Kvm.IRQ_ROUTING_ENTRY_SIZE;
            table.bytes.putInt(at, routes[i][0]);
            table.bytes.putInt(at + 4, Kvm.IRQ_ROUTING_IRQCHIP);
            table.bytes.putInt(at + Kvm.IRQ_ROUTING_ENTRY_U, routes[i][1]);
            table.bytes.putInt(at + Kvm.IRQ_ROUTING_ENTRY_U + 4, routes[i][2]);
        }
        return table;
    }

    private void setUp(KvmSystem system, KvmSystem.HostCpus host, KickSignal kick) throws HypervisorException {
        vmCheck(LibC.ioctl(vmFd, Kvm.SET_TSS_ADDR, TSS_ADDRESS), "KVM_SET_TSS_ADDR");
        vmCheck(LibC.ioctl(vmFd, Kvm.CREATE_IRQCHIP, 0L), "KVM_CREATE_IRQCHIP");
        vmCheck(LibC.ioctl(vmFd, Kvm.SET_GSI_ROUTING, pcRouting().memory), "KVM_SET_GSI_ROUTING");
        NativeBuffer pitConfig = new NativeBuffer(Kvm.PIT_CONFIG_SIZE);
        // the dummy speaker makes KVM answer port 0x61 itself (Linux's PIT calibration reads it)
        pitConfig.bytes.putInt(0, Kvm.PIT_SPEAKER_DUMMY);
        vmCheck(LibC.ioctl(vmFd, Kvm.CREATE_PIT2, pitConfig.memory), "KVM_CREATE_PIT2");
        for (int chip : IRQCHIP_IDS) {
            NativeBuffer state = new NativeBuffer(Kvm.IRQCHIP_SIZE);
            state.bytes.putInt(0, chip);
            vmCheck(LibC.ioctl(vmFd, Kvm.GET_IRQCHIP, state.memory), "KVM_GET_IRQCHIP");
            initialIrqchips.add(state);
        }
        initialPit = new NativeBuffer(Kvm.PIT_STATE2_SIZE);
        vmCheck(LibC.ioctl(vmFd, Kvm.GET_PIT2, initialPit.memory), "KVM_GET_PIT2");

        for (KvmGuestMemory.Region region : memory.regions()) {
            addSlot(region.gpa(), region.size(), region.hostAddress(), 0, true);
        }

        CpuidTable cpuid = host.supportedCpuid();
        supportedCpuid = cpuid;
        msrIndexList = host.msrIndexList();
        BootMsrs msrs = BootMsrs.forHost(msrIndexList, cpuid.hasMtrr());
        int runSize = host.vcpuMmapSize();
        xcrs = system.checkExtension(Kvm.CAP_XCRS) > 0;
        tscKhz = system.checkExtension(Kvm.CAP_GET_TSC_KHZ) > 0;
        // Asked of the VM, not /dev/kvm: the size covers the XSAVE features this VM may use
        // (Documentation/virt/kvm/api.rst, KVM_GET_XSAVE2). 0 without KVM_CAP_XSAVE2.
        int xsave2 = LibC.ioctl(vmFd, Kvm.CHECK_EXTENSION, Kvm.CAP_XSAVE2);
        xsaveSize = system.checkExtension(Kvm.CAP_XSAVE) <= 0 ? 0 : Math.max(xsave2, Kvm.XSAVE_SIZE);
        for (int i = 0; i < config.vcpuCount(); i++) {
            vcpus.add(KvmVcpu.create(this, vmFd, i, config.vcpuCount(), runSize, cpuid, msrs, kick, xcrs));
        }
        LOG.debug("KVM partition: {} MiB RAM {}, {} vCPUs, {} CPUID leaves, boot MSRs {}",
                config.memoryBytes() >> 20, memory.describeLayout(), config.vcpuCount(), cpuid.count(),
                vcpus.get(0).bootMsrs().msrs());
    }

    private void vmCheck(int result, String what) throws HypervisorException {
        if (result < 0) {
            throw new HypervisorException(what + " failed: " + LibC.describe(LibC.errno()));
        }
    }

    private Slot addSlot(long gpa, long size, long host, int flags, boolean ram) throws HypervisorException {
        Slot slot = new Slot(nextSlotId++, gpa, size, host, flags, ram);
        setSlot(slot.id(), slot.gpa(), slot.size(), slot.hostAddress(), slot.flags());
        slots.add(slot);
        return slot;
    }

    private void setSlot(int id, long gpa, long size, long host, int flags) throws HypervisorException {
        NativeBuffer region = new NativeBuffer(Kvm.USER_MEMORY_REGION_SIZE);
        region.bytes.putInt(0, id);
        region.bytes.putInt(4, flags);
        region.bytes.putLong(8, gpa);
        region.bytes.putLong(16, size);
        region.bytes.putLong(24, host);
        if (LibC.ioctl(vmFd, Kvm.SET_USER_MEMORY_REGION, region.memory) < 0) {
            throw new HypervisorException(String.format("KVM_SET_USER_MEMORY_REGION slot %d [0x%x, 0x%x) failed: %s",
                    id, gpa, gpa + size, LibC.describe(LibC.errno())));
        }
    }

    /**
     * Maps {@code image} read-only at {@code gpa} (KVM_MEM_READONLY when the host has it: guest
     * writes then arrive as MMIO writes, which the board drops). A ROM over RAM (the BIOS alias
     * below 1 MiB) splits the RAM slot around it; that RAM is then hidden from the guest and from
     * {@link #memory()}. Call before the vCPUs first run.
     */
    @Override
    public synchronized void mapRom(long gpa, byte[] image) throws HypervisorException {
        long size = image.length;
        if (size == 0 || size % KvmGuestMemory.PAGE_SIZE != 0 || gpa % KvmGuestMemory.PAGE_SIZE != 0 || gpa < 0) {
            throw new HypervisorException(String.format("cannot map a ROM of %d bytes at 0x%x: the address and size"
                    + " must be multiples of 4 KiB", size, gpa));
        }
        long end = gpa + size;
        for (Rom rom : roms) {
            if (gpa < rom.gpa() + rom.size() && end > rom.gpa()) {
                throw new HypervisorException(String.format("ROM [0x%x, 0x%x) overlaps the ROM at [0x%x, 0x%x)",
                        gpa, end, rom.gpa(), rom.gpa() + rom.size()));
            }
        }
        Slot ram = null;
        for (Slot slot : slots) {
            if (slot.ram() && gpa < slot.end() && end > slot.gpa()) {
                if (gpa < slot.gpa() || end > slot.end()) {
                    throw new HypervisorException(String.format("ROM [0x%x, 0x%x) straddles the edge of RAM"
                            + " [0x%x, 0x%x)", gpa, end, slot.gpa(), slot.end()));
                }
                ram = slot;
            }
        }
        long host = LibC.mmap(0, size, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS, -1, 0);
        if (host == LibC.MAP_FAILED) {
            throw new HypervisorException("cannot allocate " + size + " bytes for a ROM: " + LibC.describe(LibC.errno()));
        }
        ByteBuffer bytes = new Pointer(host).getByteBuffer(0, size).order(ByteOrder.LITTLE_ENDIAN);
        bytes.put(0, image);
        try {
            if (ram != null) {
                splitRam(ram, gpa, end);
            }
            addSlot(gpa, size, host, readonlyMemory ? Kvm.MEM_READONLY : 0, false);
        } catch (HypervisorException e) {
            LibC.munmap(host, size);
            throw e;
        }
        if (!readonlyMemory) {
            LOG.warn("this host's KVM lacks KVM_CAP_READONLY_MEM: the ROM at 0x{} is writable by the guest",
                    Long.toHexString(gpa));
        }
        roms.add(new Rom(gpa, size, host, bytes));
    }

    /** Replaces a RAM slot by the parts of it outside [start, end). */
    private void splitRam(Slot ram, long start, long end) throws HypervisorException {
        setSlot(ram.id(), ram.gpa(), 0, ram.hostAddress(), 0); // size 0 deletes the slot
        slots.remove(ram);
        if (start > ram.gpa()) {
            Slot before = new Slot(ram.id(), ram.gpa(), start - ram.gpa(), ram.hostAddress(), 0, true);
            setSlot(before.id(), before.gpa(), before.size(), before.hostAddress(), 0);
            slots.add(before);
        }
        if (end < ram.end()) {
            addSlot(end, ram.end() - end, ram.hostAddress() + (end - ram.gpa()), 0, true);
        }
        memory.hide(start, end);
    }

    /** Guest bytes from RAM or ROM for diagnostics; empty where neither is mapped. */
    synchronized byte[] readGuestBytes(long gpa, int length) {
        if (closed) {
            return new byte[0];
        }
        if (memory.isRam(gpa, length)) {
            return memory.read(gpa, length);
        }
        for (Rom rom : roms) {
            if (gpa >= rom.gpa() && gpa + length <= rom.gpa() + rom.size()) {
                byte[] out = new byte[length];
                rom.bytes().get((int) (gpa - rom.gpa()), out);
                return out;
            }
        }
        return new byte[0];
    }

    @Override
    public PartitionConfig config() {
        return config;
    }

    @Override
    public GuestMemory memory() {
        return memory;
    }

    @Override
    public LineInterruptTarget irqLines() {
        return irqLines;
    }

    /** KVM_SIGNAL_MSI, when this host's KVM has KVM_CAP_SIGNAL_MSI (Linux 3.5 on). */
    @Override
    public Optional<MessageInterrupts> messageInterrupts() {
        return Optional.ofNullable(msi);
    }

    @Override
    public Vcpu vcpu(int index) {
        if (index < 0 || index >= vcpus.size()) {
            throw new IllegalArgumentException("no vCPU " + index + ": this partition has " + vcpus.size());
        }
        return vcpus.get(index);
    }

    /** KVM_IOEVENTFD doorbells, where the host's KVM has KVM_CAP_IOEVENTFD (every KVM since Linux 2.6.32). */
    @Override
    public Optional<DoorbellSupport> doorbells() {
        return Optional.ofNullable(doorbells);
    }

    /** KVM_SET_IRQCHIP / KVM_SET_PIT2 with the states read right after they were created. */
    @Override
    public synchronized void resetChipset() throws HypervisorException {
        for (NativeBuffer state : initialIrqchips) {
            vmCheck(LibC.ioctl(vmFd, Kvm.SET_IRQCHIP, state.memory), "KVM_SET_IRQCHIP");
        }
        vmCheck(LibC.ioctl(vmFd, Kvm.SET_PIT2, initialPit.memory), "KVM_SET_PIT2");
    }

    /** KVM_GET_SUPPORTED_CPUID of the host this partition runs on. */
    CpuidTable supportedCpuid() {
        return supportedCpuid;
    }

    /** KVM_GET_MSR_INDEX_LIST: the MSRs KVM saves and restores. */
    int[] msrIndexList() {
        return msrIndexList.clone();
    }

    /**
     * The XSAVE area size KVM reads and writes for this VM (4096, or more with KVM_CAP_XSAVE2);
     * 0 without KVM_CAP_XSAVE.
     */
    int xsaveSize() {
        return xsaveSize;
    }

    boolean hasXcrs() {
        return xcrs;
    }

    boolean hasTscKhz() {
        return tscKhz;
    }

    /** True for the first caller only: the first vCPU whose TSC is restored ({@link KvmVcpu#restoreState}). */
    synchronized boolean firstTscRestore() {
        boolean first = !tscRestored;
        tscRestored = true;
        return first;
    }

    /**
     * PICs, IOAPIC, PIT and the VM clock. The vCPUs must be parked: with vCPUs running, the PIT
     * and IOAPIC could change between the reads.
     */
    @Override
    public synchronized SavedStateBlob saveState() throws HypervisorException {
        checkOpen();
        byte[][] chips = new byte[3][];
        for (int chip : IRQCHIP_IDS) {
            chips[chip] = bytes(irqchipState(chip));
        }
        NativeBuffer pit = new NativeBuffer(Kvm.PIT_STATE2_SIZE);
        vmCheck(LibC.ioctl(vmFd, Kvm.GET_PIT2, pit.memory), "KVM_GET_PIT2");
        NativeBuffer clock = new NativeBuffer(Kvm.CLOCK_DATA_SIZE);
        vmCheck(LibC.ioctl(vmFd, Kvm.GET_CLOCK, clock.memory), "KVM_GET_CLOCK");
        return new KvmPartitionState(chips[0], chips[1], chips[2], bytes(pit), bytes(clock)).toBlob();
    }

    /**
     * Puts back the PICs, IOAPIC and PIT (KVM_SET_PIT2 reloads each channel's counter, so a
     * periodic timer keeps ticking at its programmed rate) and sets the VM clock to the saved value
     * with no flags: kvmclock then continues from where the snapshot stopped it, rather than
     * jumping ahead by the time the snapshot lay on disk (KVM_CLOCK_REALTIME would do that).
     */
    @Override
    public synchronized void restoreState(SavedStateBlob blob) throws HypervisorException {
        KvmPartitionState state = KvmPartitionState.fromBlob(blob);
        checkOpen();
        byte[][] chips = {state.picMaster(), state.picSlave(), state.ioapic()};
        for (byte[] chip : chips) {
            vmCheck(LibC.ioctl(vmFd, Kvm.SET_IRQCHIP, buffer(chip).memory), "KVM_SET_IRQCHIP");
        }
        vmCheck(LibC.ioctl(vmFd, Kvm.SET_PIT2, buffer(state.pit()).memory), "KVM_SET_PIT2");
        NativeBuffer clock = new NativeBuffer(Kvm.CLOCK_DATA_SIZE);
        clock.bytes.putLong(Kvm.CLOCK_DATA_CLOCK, state.clockNanos());
        vmCheck(LibC.ioctl(vmFd, Kvm.SET_CLOCK, clock.memory), "KVM_SET_CLOCK");
    }

    /** KVM_GET_CLOCK's value in nanoseconds (for tests). */
    synchronized long clockNanos() throws HypervisorException {
        NativeBuffer clock = new NativeBuffer(Kvm.CLOCK_DATA_SIZE);
        vmCheck(LibC.ioctl(vmFd, Kvm.GET_CLOCK, clock.memory), "KVM_GET_CLOCK");
        return clock.bytes.getLong(Kvm.CLOCK_DATA_CLOCK);
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the partition is closed");
        }
    }

    static byte[] bytes(NativeBuffer buffer) {
        byte[] out = new byte[buffer.size()];
        buffer.bytes.get(0, out);
        return out;
    }

    static NativeBuffer buffer(byte[] bytes) {
        NativeBuffer buffer = new NativeBuffer(bytes.length);
        buffer.bytes.put(0, bytes);
        return buffer;
    }

    /** The current KVM_GET_IRQCHIP state of chip 0 (master PIC), 1 (slave PIC) or 2 (IOAPIC). */
    synchronized NativeBuffer irqchipState(int chip) throws HypervisorException {
        NativeBuffer state = new NativeBuffer(Kvm.IRQCHIP_SIZE);
        state.bytes.putInt(0, chip);
        vmCheck(LibC.ioctl(vmFd, Kvm.GET_IRQCHIP, state.memory), "KVM_GET_IRQCHIP");
        return state;
    }

    /** Releases the VM. The vCPU threads must have left {@link Vcpu#run} first. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        boolean stuck = false;
        for (KvmVcpu vcpu : vcpus) {
            stuck |= vcpu.inRun();
            vcpu.close();
        }
        if (doorbells != null) {
            doorbells.close();
        }
        if (msi != null) {
            msi.close();
        }
        if (stuck) {
            // Unmapping guest RAM under a vCPU that is still in KVM_RUN would crash the JVM when
            // it returns; leave memory mapped (the process is ending) and say so.
            LOG.warn("a vCPU was still running when the VM was closed; its memory is left mapped");
            return;
        }
        LibC.close(vmFd);
        memory.release();
        for (Rom rom : roms) {
            LibC.munmap(rom.hostAddress(), rom.size());
        }
    }
}
