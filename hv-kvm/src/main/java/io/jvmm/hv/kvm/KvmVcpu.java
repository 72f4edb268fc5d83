package io.jvmm.hv.kvm;

import com.sun.jna.Pointer;
import io.jvmm.api.device.SavedStateBlob;
import io.jvmm.api.hv.CpuBootState;
import io.jvmm.api.hv.HypervisorException;
import io.jvmm.api.hv.IoBus;
import io.jvmm.api.hv.Vcpu;
import io.jvmm.api.hv.VcpuExit;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One KVM vCPU: its fd, its mmap'd {@code kvm_run} page (read through a direct buffer) and the exit
 * loop. The I/O paths allocate nothing: the access buffers for every size are made up front.
 *
 * <p>Kicking: {@link #kick()} sets {@code kvm_run.immediate_exit} and signals the vCPU thread. The
 * signal interrupts a KVM_RUN in progress; {@code immediate_exit} catches the case where the
 * thread is between exits (it makes the next KVM_RUN return EINTR right after the kernel completes
 * the I/O instruction the previous exit left pending), so no exit is lost and the register state is
 * consistent when {@link VcpuExit.Kicked} comes back.
 *
 * <p>{@link #run} is for one thread at a time (the vCPU's); the pthread it signals is captured
 * there. That thread must not exit while other threads may still kick.
 */
final class KvmVcpu implements Vcpu {
    private static final Logger LOG = LoggerFactory.getLogger(KvmVcpu.class);
    private static final VcpuExit.Kicked KICKED = new VcpuExit.Kicked();
    private static final long CR0_PE = 1;
    /** Where an INITed x86 CPU fetches: CS base 0xffff0000, RIP 0xfff0. */
    private static final long RESET_RIP = 0xfff0;
    private static final long RESET_CS_BASE = 0xffff_0000L;
    private static final long CR0_ET = 1 << 4;
    private static final long CR0_NW = 1L << 29;
    private static final long CR0_CD = 1L << 30;
    private static final long CR0_PG = 1L << 31;
    private static final long CR4_PAE = 1 << 5;
    private static final long EFER_LME = 1 << 8;
    private static final long EFER_LMA = 1 << 10;
    private static final long APIC_BASE_DEFAULT = 0xfee0_0800L; // xAPIC enabled at 0xFEE00000
    private static final long APIC_BASE_BSP = 1 << 8;

    private final KvmPartition partition;
    private final int index;
    private final int fd;
    private final long runAddress;
    private final int runSize;
    private final ByteBuffer run;
    /** accessBuffers[n] is the byte[n] every PIO/MMIO access of size n uses. */
    private final byte[][] accessBuffers = new byte[9][];
    private final KickSignal kickSignal;
    private final int cpuSignature;
    private final BootMsrs bootMsrs;
    private final NativeBuffer initialLapic;
    /** Whether KVM has KVM_GET/SET_XCRS (XCR0 is reset with the rest of the boot state). */
    private final boolean xcrs;
    /** The kvm_cpuid2 last given with KVM_SET_CPUID2 (saved with the state: KVM has no getter for it before 5.x). */
    private NativeBuffer cpuid2;
    /**
     * Set while an I/O exit is being handled, cleared when KVM_RUN next returns. The vCPU thread's
     * own field: read by {@link #saveState} only after the thread left {@link #run} (the caller's
     * hand-over orders it).
     */
    private boolean exitInFlight;

    private volatile boolean kickRequested;
    /** Set by {@link #close()} under this object's monitor; {@link #kick()} checks it there. */
    private boolean closed;
    /** The pthread_t of the thread in {@link #run}, or 0 outside it. */
    private volatile long runningThread;
    private Thread owner;
    private long ownerPthread;

    private KvmVcpu(KvmPartition partition, int index, int fd, long runAddress, int runSize, KickSignal kickSignal,
            int cpuSignature, BootMsrs bootMsrs, NativeBuffer initialLapic, boolean xcrs) {
        this.partition = partition;
        this.index = index;
        this.fd = fd;
        this.runAddress = runAddress;
        this.runSize = runSize;
        this.run = new Pointer(runAddress).getByteBuffer(0, runSize).order(ByteOrder.nativeOrder());
        for (int n = 1; n <= 8; n++) {
            accessBuffers[n] = new byte[n];
        }
        this.kickSignal = kickSignal;
        this.cpuSignature = cpuSignature;
        this.bootMsrs = bootMsrs;
        this.initialLapic = initialLapic;
        this.xcrs = xcrs;
    }

    /** KVM_CREATE_VCPU plus CPUID, LAPIC LVTs and the power-on register state. */
    static KvmVcpu create(KvmPartition partition, int vmFd, int index, int vcpuCount, int runSize,
            CpuidTable cpuid, BootMsrs msrs, KickSignal kickSignal, boolean xcrs) throws HypervisorException {
        int fd = LibC.ioctl(vmFd, Kvm.CREATE_VCPU, index);
        if (fd < 0) {
            throw new HypervisorException("KVM_CREATE_VCPU " + index + " failed: " + LibC.describe(LibC.errno()));
        }
        long run = LibC.mmap(0, runSize, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, fd, 0);
        if (run == LibC.MAP_FAILED) {
            int errno = LibC.errno();
            LibC.close(fd);
            throw new HypervisorException("cannot map kvm_run of vCPU " + index + ": " + LibC.describe(errno));
        }
        try {
            NativeBuffer cpuid2 = cpuid.forVcpu(index, vcpuCount);
            check(LibC.ioctl(fd, Kvm.SET_CPUID2, cpuid2.memory), "KVM_SET_CPUID2", index);
            NativeBuffer lapic = new NativeBuffer(Kvm.LAPIC_SIZE);
            check(LibC.ioctl(fd, Kvm.GET_LAPIC, lapic.memory), "KVM_GET_LAPIC", index);
            if (index == 0) {
                // virtual-wire mode, as firmware leaves the BSP: PIC interrupts arrive through LINT0
                lapic.bytes.putInt(Kvm.LAPIC_LVT0, 0x700); // ExtINT, unmasked
                lapic.bytes.putInt(Kvm.LAPIC_LVT1, 0x400); // NMI, unmasked
            }
            KvmVcpu vcpu = new KvmVcpu(partition, index, fd, run, runSize, kickSignal,
                    CpuidTable.register(cpuid2, 1, 0, 0), msrs.copy(), lapic, xcrs);
            vcpu.cpuid2 = cpuid2;
            vcpu.setBootState(new CpuBootState.X86ResetVector());
            return vcpu;
        } catch (HypervisorException | RuntimeException e) {
            LibC.munmap(run, runSize);
            LibC.close(fd);
            throw e;
        }
    }

    private static void check(int result, String what, int index) throws HypervisorException {
        if (result < 0) {
            throw new HypervisorException(what + " on vCPU " + index + " failed: " + LibC.describe(LibC.errno()));
        }
    }

    @Override
    public int index() {
        return index;
    }

    // ---------------------------------------------------------------- boot state

    @Override
    public void setBootState(CpuBootState state) throws HypervisorException {
        NativeBuffer sregs = new NativeBuffer(Kvm.SREGS_SIZE);
        NativeBuffer regs = new NativeBuffer(Kvm.REGS_SIZE);
        ByteBuffer s = sregs.bytes;
        ByteBuffer r = regs.bytes;
        r.putLong(Kvm.REGS_RFLAGS, 2); // bit 1 is reserved-one
        s.putLong(Kvm.SREGS_APIC_BASE, APIC_BASE_DEFAULT | (index == 0 ? APIC_BASE_BSP : 0));
        int mpState = Kvm.MP_STATE_RUNNABLE;
        if (state instanceof CpuBootState.X86ResetVector || state instanceof CpuBootState.X86WaitForSipi) {
            // the architectural power-on state (and what KVM_CREATE_VCPU gives): F000:FFF0 with
            // CS.base = 0xFFFF0000, so the first fetch is at 0xFFFFFFF0
            Segments.realMode(s, Kvm.SREGS_CS, 0xf000, 0xffff_0000L, 0xb);
            for (int seg : new int[] {Kvm.SREGS_DS, Kvm.SREGS_ES, Kvm.SREGS_FS, Kvm.SREGS_GS, Kvm.SREGS_SS}) {
                Segments.realMode(s, seg, 0, 0, 0x3);
            }
            Segments.system(s, Kvm.SREGS_TR, 0xb);
            Segments.system(s, Kvm.SREGS_LDT, 0x2);
            dtable(s, Kvm.SREGS_GDT, 0, 0xffff);
            dtable(s, Kvm.SREGS_IDT, 0, 0xffff);
            s.putLong(Kvm.SREGS_CR0, CR0_ET | CR0_NW | CR0_CD);
            r.putLong(Kvm.REGS_RIP, 0xfff0);
            r.putLong(Kvm.REGS_RDX, cpuSignature & 0xffff_ffffL);
            // an AP waits for INIT/SIPI from the BSP, which the in-kernel LAPIC handles
            mpState = index == 0 && state instanceof CpuBootState.X86ResetVector
                    ? Kvm.MP_STATE_RUNNABLE : Kvm.MP_STATE_UNINITIALIZED;
        } else if (state instanceof CpuBootState.X86Protected32 p) {
            flatSegments(s, Segments.CODE32, Segments.TSS32, p.gdtBase());
            s.putLong(Kvm.SREGS_CR0, CR0_PE | CR0_ET);
            r.putLong(Kvm.REGS_RIP, p.rip());
            r.putLong(Kvm.REGS_RSP, p.rsp());
            r.putLong(Kvm.REGS_RBX, p.rbx());
            r.putLong(Kvm.REGS_RSI, p.rsi());
        } else if (state instanceof CpuBootState.X86Long64 l) {
            flatSegments(s, Segments.CODE64, Segments.TSS64, l.gdtBase());
            s.putLong(Kvm.SREGS_CR0, CR0_PE | CR0_ET | CR0_PG);
            s.putLong(Kvm.SREGS_CR3, l.cr3());
            s.putLong(Kvm.SREGS_CR4, CR4_PAE);
            s.putLong(Kvm.SREGS_EFER, EFER_LME | EFER_LMA);
            r.putLong(Kvm.REGS_RIP, l.rip());
            r.putLong(Kvm.REGS_RSP, l.rsp());
            r.putLong(Kvm.REGS_RBP, l.rsp());
            r.putLong(Kvm.REGS_RSI, l.rsi());
        } else {
            throw new HypervisorException("the kvm backend cannot start a vCPU in " + state);
        }
        forceMmuContextRebuild(s);
        check(LibC.ioctl(fd, Kvm.SET_SREGS, sregs.memory), "KVM_SET_SREGS", index);
        check(LibC.ioctl(fd, Kvm.SET_REGS, regs.memory), "KVM_SET_REGS", index);
        NativeBuffer fpu = new NativeBuffer(Kvm.FPU_SIZE);
        fpu.bytes.putShort(Kvm.FPU_FCW, (short) 0x37f);
        fpu.bytes.putInt(Kvm.FPU_MXCSR, 0x1f80);
        check(LibC.ioctl(fd, Kvm.SET_FPU, fpu.memory), "KVM_SET_FPU", index);
        if (xcrs) {
            NativeBuffer x = new NativeBuffer(Kvm.XCRS_SIZE); // struct kvm_xcrs {u32 nr_xcrs, flags; kvm_xcr[16]...}
            x.bytes.putInt(0, 1);
            x.bytes.putInt(8, 0); // XCR0 ...
            x.bytes.putLong(16, 1); // ... = x87 only, as after RESET
            check(LibC.ioctl(fd, Kvm.SET_XCRS, x.memory), "KVM_SET_XCRS", index);
        }
        NativeBuffer debug = new NativeBuffer(Kvm.DEBUGREGS_SIZE); // struct kvm_debugregs {u64 db[4], dr6, dr7, ...}
        debug.bytes.putLong(32, 0xffff_0ff0L);
        debug.bytes.putLong(40, 0x400);
        check(LibC.ioctl(fd, Kvm.SET_DEBUGREGS, debug.memory), "KVM_SET_DEBUGREGS", index);
        bootMsrs.apply(fd, index);
        check(LibC.ioctl(fd, Kvm.SET_LAPIC, initialLapic.memory), "KVM_SET_LAPIC", index);
        // nothing pending or injected, no NMI pending or masked, no interrupt shadow, not in SMM
        NativeBuffer events = new NativeBuffer(Kvm.VCPU_EVENTS_SIZE);
        events.bytes.putInt(Kvm.VCPU_EVENTS_FLAGS, Kvm.VCPUEVENT_VALID_NMI_PENDING | Kvm.VCPUEVENT_VALID_SIPI_VECTOR
                | Kvm.VCPUEVENT_VALID_SHADOW | Kvm.VCPUEVENT_VALID_SMM);
        check(LibC.ioctl(fd, Kvm.SET_VCPU_EVENTS, events.memory), "KVM_SET_VCPU_EVENTS", index);
        NativeBuffer mp = new NativeBuffer(4); // struct kvm_mp_state {u32 mp_state}
        mp.bytes.putInt(0, mpState);
        check(LibC.ioctl(fd, Kvm.SET_MP_STATE, mp.memory), "KVM_SET_MP_STATE", index);
    }

    /**
     * Makes KVM rebuild its MMU context before the vCPU next runs. KVM_SET_SREGS does that only
     * when it changes CR0, CR3, CR4 or EFER, and a reset can leave all four as they are: on AMD SVM
     * (Linux 6.1 at least), a triple fault's SHUTDOWN intercept clears the VMCB, nested-paging root
     * included, and INITs the vCPU without rebuilding the MMU when paging was off; if the boot state
     * then has the CR0 that INIT left (a firmware that only set CR0.PE before it triple-faulted),
     * KVM keeps its cached root, the hardware walks nested page tables at host address 0 and the
     * guest never fetches its first instruction (an endless loop of NPF exits, all inside KVM). So
     * the boot state goes in after a detour through a CR3 that differs from the current one; the
     * CR3 of a vCPU that is not running is not used until the boot state replaces it.
     */
    private void forceMmuContextRebuild(ByteBuffer bootSregs) throws HypervisorException {
        NativeBuffer current = new NativeBuffer(Kvm.SREGS_SIZE);
        check(LibC.ioctl(fd, Kvm.GET_SREGS, current.memory), "KVM_GET_SREGS", index);
        NativeBuffer detour = new NativeBuffer(Kvm.SREGS_SIZE);
        detour.bytes.put(0, bootSregs, 0, Kvm.SREGS_SIZE);
        detour.bytes.putLong(Kvm.SREGS_CR3, current.bytes.getLong(Kvm.SREGS_CR3) ^ 0x1000);
        check(LibC.ioctl(fd, Kvm.SET_SREGS, detour.memory), "KVM_SET_SREGS", index);
    }

    /** Code, data and TSS segments from the boot GDT's descriptors; IDT empty until the guest loads one. */
    private static void flatSegments(ByteBuffer s, long code, long tss, long gdtBase) {
        Segments.fromDescriptor(s, Kvm.SREGS_CS, Segments.CODE_SELECTOR, code);
        for (int seg : new int[] {Kvm.SREGS_DS, Kvm.SREGS_ES, Kvm.SREGS_FS, Kvm.SREGS_GS, Kvm.SREGS_SS}) {
            Segments.fromDescriptor(s, seg, Segments.DATA_SELECTOR, Segments.DATA);
        }
        Segments.fromDescriptor(s, Kvm.SREGS_TR, Segments.TSS_SELECTOR, tss);
        Segments.system(s, Kvm.SREGS_LDT, 0x2);
        dtable(s, Kvm.SREGS_GDT, gdtBase, Segments.GDT_LIMIT);
        dtable(s, Kvm.SREGS_IDT, 0, 0);
    }

    private static void dtable(ByteBuffer s, int offset, long base, int limit) {
        s.putLong(offset + Kvm.DTABLE_BASE, base);
        s.putShort(offset + Kvm.DTABLE_LIMIT, (short) limit);
    }

    // ---------------------------------------------------------------- run loop

    @Override
    public VcpuExit run(IoBus bus) {
        bindToCurrentThread();
        runningThread = ownerPthread;
        try {
            return loop(bus);
        } finally {
            runningThread = 0;
        }
    }

    private VcpuExit loop(IoBus bus) {
        final ByteBuffer r = run;
        while (true) {
            int result = LibC.ioctl(fd, Kvm.RUN, 0L);
            exitInFlight = false;
            if (result < 0) {
                int errno = LibC.errno();
                if (errno == LibC.EINTR || errno == LibC.EAGAIN) {
                    // EAGAIN: an application processor left its wait for INIT/SIPI; run it again.
                    if (kickRequested) {
                        return KICKED;
                    }
                    continue; // some other signal: keep running
                }
                return failed("KVM_RUN failed: " + LibC.describe(errno));
            }
            int reason = r.getInt(Kvm.RUN_EXIT_REASON);
            switch (reason) {
                case Kvm.EXIT_IO:
                    exitInFlight = true;
                    pio(bus, r);
                    break;
                case Kvm.EXIT_MMIO:
                    exitInFlight = true;
                    mmio(bus, r);
                    break;
                case Kvm.EXIT_INTR:
                    if (kickRequested) {
                        return KICKED;
                    }
                    break;
                case Kvm.EXIT_HLT:
                    return new VcpuExit.Halted(rip());
                case Kvm.EXIT_SHUTDOWN:
                    return new VcpuExit.Shutdown(shutdownRip());
                case Kvm.EXIT_SYSTEM_EVENT:
                    return systemEvent(r.getInt(Kvm.RUN_SYSTEM_EVENT_TYPE));
                case Kvm.EXIT_FAIL_ENTRY:
                    return failed(String.format("KVM could not enter the guest: hardware entry failure reason 0x%x",
                            r.getLong(Kvm.RUN_FAIL_ENTRY_REASON)));
                case Kvm.EXIT_INTERNAL_ERROR:
                    return internalError(r);
                default:
                    return failed("unexpected KVM exit reason " + reason);
            }
        }
    }

    private void pio(IoBus bus, ByteBuffer r) {
        boolean in = r.get(Kvm.RUN_IO_DIRECTION) == Kvm.IO_IN;
        int size = r.get(Kvm.RUN_IO_SIZE);
        int port = r.getShort(Kvm.RUN_IO_PORT) & 0xffff;
        int count = r.getInt(Kvm.RUN_IO_COUNT);
        int offset = (int) r.getLong(Kvm.RUN_IO_DATA_OFFSET);
        if (size < 1 || size > 8 || count < 0 || offset < 0 || (long) offset + (long) count * size > runSize) {
            return; // malformed exit: nothing sensible to hand to the bus
        }
        byte[] data = accessBuffers[size];
        // string I/O (rep ins/outs) arrives as `count` consecutive elements
        for (int i = 0; i < count; i++, offset += size) {
            if (in) {
                Arrays.fill(data, (byte) 0);
                bus.pioRead(port, data);
                r.put(offset, data, 0, size);
            } else {
                r.get(offset, data, 0, size);
                bus.pioWrite(port, data);
            }
        }
    }

    private void mmio(IoBus bus, ByteBuffer r) {
        long address = r.getLong(Kvm.RUN_MMIO_PHYS_ADDR);
        int length = r.getInt(Kvm.RUN_MMIO_LEN);
        if (length < 1 || length > 8) {
            return;
        }
        byte[] data = accessBuffers[length];
        if (r.get(Kvm.RUN_MMIO_IS_WRITE) != 0) {
            r.get(Kvm.RUN_MMIO_DATA, data, 0, length);
            bus.mmioWrite(address, data);
        } else {
            Arrays.fill(data, (byte) 0);
            bus.mmioRead(address, data);
            r.put(Kvm.RUN_MMIO_DATA, data, 0, length);
        }
    }

    private VcpuExit systemEvent(int type) {
        if (type == Kvm.SYSTEM_EVENT_RESET) {
            return new VcpuExit.SystemEvent(true, rip());
        }
        if (type == Kvm.SYSTEM_EVENT_SHUTDOWN) {
            return new VcpuExit.SystemEvent(false, rip());
        }
        return failed("the guest signalled system event type " + type + " (crash or unsupported)");
    }

    private VcpuExit internalError(ByteBuffer r) {
        int suberror = r.getInt(Kvm.RUN_INTERNAL_SUBERROR);
        long rip = rip();
        byte[] bytes = new byte[0];
        String what;
        switch (suberror) {
            case Kvm.INTERNAL_ERROR_EMULATION:
                what = "KVM could not emulate an instruction";
                int ndata = r.getInt(Kvm.RUN_INTERNAL_NDATA);
                long flags = r.getLong(Kvm.RUN_EMULATION_FLAGS);
                if (ndata > 0 && (flags & Kvm.INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES) != 0) {
                    int n = Math.min(r.get(Kvm.RUN_EMULATION_INSN_SIZE) & 0xff, 15);
                    bytes = new byte[n];
                    r.get(Kvm.RUN_EMULATION_INSN_BYTES, bytes, 0, n);
                }
                break;
            case 2:
                what = "KVM internal error: exception while delivering an exception";
                break;
            case 3:
                what = "KVM internal error: unexpected exit while delivering an event";
                break;
            case 4:
                what = "KVM internal error: unexpected exit reason";
                break;
            default:
                what = "KVM internal error (suberror " + suberror + ")";
        }
        if (bytes.length == 0) {
            bytes = instructionBytesAt(rip);
        }
        // RIP and the bytes travel in the record; the VM's message names them once
        return new VcpuExit.Failed(what, rip, bytes);
    }

    /** The bytes at CS.base + RIP when paging is off (so the address is physical); else empty. */
    private byte[] instructionBytesAt(long rip) {
        NativeBuffer sregs = new NativeBuffer(Kvm.SREGS_SIZE);
        if (LibC.ioctl(fd, Kvm.GET_SREGS, sregs.memory) < 0
                || (sregs.bytes.getLong(Kvm.SREGS_CR0) & CR0_PG) != 0) {
            return new byte[0];
        }
        long address = (Segments.base(sregs.bytes, Kvm.SREGS_CS) + rip) & 0xffff_ffffL;
        return partition.readGuestBytes(address, 15);
    }

    private VcpuExit failed(String reason) {
        long rip = rip();
        return new VcpuExit.Failed(String.format("%s (vCPU %d, RIP 0x%x)", reason, index, rip), rip, new byte[0]);
    }

    /** The guest RIP (KVM_GET_REGS), or -1 if it cannot be read. */
    long rip() {
        NativeBuffer regs = new NativeBuffer(Kvm.REGS_SIZE);
        if (LibC.ioctl(fd, Kvm.GET_REGS, regs.memory) < 0) {
            return -1;
        }
        return regs.bytes.getLong(Kvm.REGS_RIP);
    }

    /**
     * The RIP of a triple fault, or -1 where it is lost: on AMD SVM, KVM reinitializes the VMCB on
     * the shutdown intercept (arch/x86/kvm/svm/svm.c, shutdown_interception), so the vCPU already
     * reads as INITed, at the reset vector in real mode; reporting 0xfff0 there would mislead.
     * Intel VMX keeps the faulting state. (Cold path: a reset or the end of the run.)
     */
    private long shutdownRip() {
        long rip = rip();
        NativeBuffer sregs = new NativeBuffer(Kvm.SREGS_SIZE);
        if (rip == RESET_RIP && LibC.ioctl(fd, Kvm.GET_SREGS, sregs.memory) >= 0
                && sregs.bytes.getLong(Kvm.SREGS_CS) == RESET_CS_BASE
                && (sregs.bytes.getLong(Kvm.SREGS_CR0) & CR0_PE) == 0) {
            return -1;
        }
        return rip;
    }

    /** Registers as KVM_GET_REGS reports them (for tests and diagnostics). */
    NativeBuffer registers() throws HypervisorException {
        NativeBuffer regs = new NativeBuffer(Kvm.REGS_SIZE);
        check(LibC.ioctl(fd, Kvm.GET_REGS, regs.memory), "KVM_GET_REGS", index);
        return regs;
    }

    /** Special registers as KVM_GET_SREGS reports them (for tests and diagnostics). */
    NativeBuffer specialRegisters() throws HypervisorException {
        NativeBuffer sregs = new NativeBuffer(Kvm.SREGS_SIZE);
        check(LibC.ioctl(fd, Kvm.GET_SREGS, sregs.memory), "KVM_GET_SREGS", index);
        return sregs;
    }

    /**
     * A readable dump of the vCPU's architectural state as KVM reports it (registers, special
     * registers, MP state, pending events, debug registers, XCRs, FPU control words and a set of
     * MSRs, the TSC first), for diagnostics and for comparing a reset vCPU with a fresh one.
     */
    String describeState() {
        StringBuilder b = new StringBuilder();
        NativeBuffer regs = new NativeBuffer(Kvm.REGS_SIZE);
        if (LibC.ioctl(fd, Kvm.GET_REGS, regs.memory) == 0) {
            String[] names = {"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rsp", "rbp", "r8", "r9", "r10", "r11",
                "r12", "r13", "r14", "r15", "rip", "rflags"};
            for (int i = 0; i < names.length; i++) {
                b.append(names[i]).append('=').append(Long.toHexString(regs.bytes.getLong(8 * i))).append(' ');
            }
            b.append('\n');
        }
        NativeBuffer sregs = new NativeBuffer(Kvm.SREGS_SIZE);
        if (LibC.ioctl(fd, Kvm.GET_SREGS, sregs.memory) == 0) {
            ByteBuffer s = sregs.bytes;
            String[] segs = {"cs", "ds", "es", "fs", "gs", "ss", "tr", "ldt"};
            for (int i = 0; i < segs.length; i++) {
                int o = i * Segments.SEGMENT_SIZE;
                b.append(String.format("%s={sel=%x base=%x limit=%x type=%x p=%d dpl=%d db=%d s=%d l=%d g=%d avl=%d unusable=%d} ",
                        segs[i], s.getShort(o + Kvm.SEG_SELECTOR) & 0xffff, s.getLong(o + Kvm.SEG_BASE),
                        s.getInt(o + Kvm.SEG_LIMIT), s.get(o + Kvm.SEG_TYPE), s.get(o + Kvm.SEG_PRESENT),
                        s.get(o + Kvm.SEG_DPL), s.get(o + Kvm.SEG_DB), s.get(o + Kvm.SEG_S), s.get(o + Kvm.SEG_L),
                        s.get(o + Kvm.SEG_G), s.get(o + Kvm.SEG_AVL), s.get(o + Kvm.SEG_UNUSABLE)));
            }
            b.append(String.format("%ngdt=%x/%x idt=%x/%x cr0=%x cr2=%x cr3=%x cr4=%x cr8=%x efer=%x apic_base=%x"
                    + " irq_bitmap=%x,%x,%x,%x%n",
                    s.getLong(Kvm.SREGS_GDT), s.getShort(Kvm.SREGS_GDT + 8) & 0xffff,
                    s.getLong(Kvm.SREGS_IDT), s.getShort(Kvm.SREGS_IDT + 8) & 0xffff,
                    s.getLong(Kvm.SREGS_CR0), s.getLong(Kvm.SREGS_CR2), s.getLong(Kvm.SREGS_CR3),
                    s.getLong(Kvm.SREGS_CR4), s.getLong(Kvm.SREGS_CR8), s.getLong(Kvm.SREGS_EFER),
                    s.getLong(Kvm.SREGS_APIC_BASE), s.getLong(Kvm.SREGS_INTERRUPT_BITMAP),
                    s.getLong(Kvm.SREGS_INTERRUPT_BITMAP + 8), s.getLong(Kvm.SREGS_INTERRUPT_BITMAP + 16),
                    s.getLong(Kvm.SREGS_INTERRUPT_BITMAP + 24)));
        }
        NativeBuffer mp = new NativeBuffer(4);
        b.append("mp_state=").append(LibC.ioctl(fd, Kvm.GET_MP_STATE, mp.memory) == 0 ? mp.bytes.getInt(0) : -1);
        NativeBuffer events = new NativeBuffer(Kvm.VCPU_EVENTS_SIZE);
        if (LibC.ioctl(fd, Kvm.GET_VCPU_EVENTS, events.memory) == 0) {
            byte[] e = new byte[Kvm.VCPU_EVENTS_SIZE];
            events.bytes.get(0, e);
            b.append(" events=").append(HexFormat.of().formatHex(e));
        }
        NativeBuffer debug = new NativeBuffer(Kvm.DEBUGREGS_SIZE);
        if (LibC.ioctl(fd, Kvm.GET_DEBUGREGS, debug.memory) == 0) {
            b.append(String.format(" dr0-3=%x,%x,%x,%x dr6=%x dr7=%x", debug.bytes.getLong(0), debug.bytes.getLong(8),
                    debug.bytes.getLong(16), debug.bytes.getLong(24), debug.bytes.getLong(32), debug.bytes.getLong(40)));
        }
        NativeBuffer xcrs = new NativeBuffer(Kvm.XCRS_SIZE);
        if (LibC.ioctl(fd, Kvm.GET_XCRS, xcrs.memory) == 0) {
            b.append(" nr_xcrs=").append(xcrs.bytes.getInt(0));
            for (int i = 0; i < xcrs.bytes.getInt(0) && i < 16; i++) {
                b.append(String.format(" xcr%d=%x", xcrs.bytes.getInt(8 + 16 * i), xcrs.bytes.getLong(16 + 16 * i)));
            }
        }
        NativeBuffer fpu = new NativeBuffer(Kvm.FPU_SIZE);
        if (LibC.ioctl(fd, Kvm.GET_FPU, fpu.memory) == 0) {
            b.append(String.format(" fcw=%x fsw=%x ftwx=%x mxcsr=%x", fpu.bytes.getShort(Kvm.FPU_FCW) & 0xffff,
                    fpu.bytes.getShort(Kvm.FPU_FCW + 2) & 0xffff, fpu.bytes.get(Kvm.FPU_FCW + 4) & 0xff,
                    fpu.bytes.getInt(Kvm.FPU_MXCSR)));
        }
        int[] msrIndexes = {0x10, 0x1b, 0x174, 0x175, 0x176, 0x1a0, 0x277, 0x2ff, 0xc0000080, 0xc0000081, 0xc0000082,
            0xc0000083, 0xc0000084, 0xc0000100, 0xc0000101, 0xc0000102, 0xc0010117};
        for (int msr : msrIndexes) {
            NativeBuffer one = new NativeBuffer(Kvm.MSRS_HEADER + Kvm.MSR_ENTRY_SIZE);
            one.bytes.putInt(0, 1);
            one.bytes.putInt(Kvm.MSRS_HEADER, msr);
            if (LibC.ioctl(fd, Kvm.GET_MSRS, one.memory) == 1) {
                b.append(String.format(" msr%x=%x", msr, one.bytes.getLong(Kvm.MSRS_HEADER + 8)));
            }
        }
        return b.toString();
    }

    /** The MSRs this vCPU was given at boot (what KVM accepted). */
    BootMsrs bootMsrs() {
        return bootMsrs;
    }

    // ---------------------------------------------------------------- snapshot

    /** IA32_TSC_DEADLINE: written last, after IA32_TSC and the LAPIC (see {@link #restoreState}). */
    static final int IA32_TSC_DEADLINE = 0x6e0;
    static final int IA32_CR_PAT = 0x277;
    /** MTRRs: KVM keeps them but leaves them out of KVM_GET_MSR_INDEX_LIST (QEMU lists them itself too). */
    private static final int[] MTRR_MSRS = mtrrMsrs();

    private static int[] mtrrMsrs() {
        int[] fixed = {0x2ff, 0x250, 0x258, 0x259, 0x268, 0x269, 0x26a, 0x26b, 0x26c, 0x26d, 0x26e, 0x26f};
        int[] all = Arrays.copyOf(fixed, fixed.length + 16);
        for (int i = 0; i < 16; i++) {
            all[fixed.length + i] = 0x200 + i; // IA32_MTRR_PHYSBASE/PHYSMASK 0..7; KVM has 8 pairs
        }
        return all;
    }

    /**
     * The MSRs to save, in the order to restore them: IA32_TSC first (KVM computes the TSC offset
     * from it, and kvmclock and TSC_DEADLINE are relative to it), then KVM's index list (kvmclock,
     * async PF, steal time, PV EOI, SYSCALL/SYSENTER, PAT, TSC_ADJUST, ...), the MTRRs, and
     * IA32_TSC_DEADLINE last. EFER and APIC base travel in sregs, FS/GS base in the segments.
     */
    static int[] msrsToSave(int[] indexList, boolean mtrr) {
        Set<Integer> order = new LinkedHashSet<>();
        order.add(BootMsrs.IA32_TSC);
        for (int index : indexList) {
            order.add(index);
        }
        order.add(IA32_CR_PAT);
        if (mtrr) {
            for (int index : MTRR_MSRS) {
                order.add(index);
            }
        }
        order.remove(IA32_TSC_DEADLINE);
        order.add(IA32_TSC_DEADLINE);
        return order.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * Reads the state {@link KvmVcpuState} lists.
     *
     * <p>No half-done I/O is lost: an I/O exit (KVM_EXIT_IO/MMIO) is finished only when userspace
     * re-enters KVM_RUN (Documentation/virt/kvm/api.rst, "the corresponding operations are complete
     * (and guest state is consistent) only after userspace has re-entered the kernel with KVM_RUN");
     * until then RIP still points at the IN and RAX lacks its data. {@link #run} never returns
     * between an exit it handled and the next KVM_RUN: it returns {@link VcpuExit.Kicked} only from a
     * KVM_RUN that failed with EINTR, and KVM completes the pending I/O before it looks at
     * {@code immediate_exit} or signals, so a vCPU parked by a kick is consistent. The one way out
     * mid-exit is a device that threw from the bus; {@link #exitInFlight} records that, and then a
     * KVM_RUN with {@code immediate_exit} set completes the instruction without running the guest
     * on ({@link #completePendingExit}).
     */
    @Override
    public synchronized SavedStateBlob saveState() throws HypervisorException {
        checkParked("save");
        completePendingExit();
        // MP state first: reading it makes KVM process pending INIT/SIPI (kvm_apic_accept_events),
        // which may change registers and the LAPIC read below
        byte[] mp = get(Kvm.GET_MP_STATE, Kvm.MP_STATE_SIZE, "KVM_GET_MP_STATE");
        byte[] regs = get(Kvm.GET_REGS, Kvm.REGS_SIZE, "KVM_GET_REGS");
        byte[] sregs = get(Kvm.GET_SREGS, Kvm.SREGS_SIZE, "KVM_GET_SREGS");
        int xsaveSize = partition.xsaveSize();
        if (xsaveSize == 0) {
            throw new HypervisorException("this host's KVM lacks KVM_CAP_XSAVE: cannot save vCPU " + index
                    + "'s FPU/SSE/AVX state");
        }
        byte[] xsave = get(xsaveSize > Kvm.XSAVE_SIZE ? Kvm.GET_XSAVE2 : Kvm.GET_XSAVE, xsaveSize,
                xsaveSize > Kvm.XSAVE_SIZE ? "KVM_GET_XSAVE2" : "KVM_GET_XSAVE");
        byte[] xcrState = xcrs ? get(Kvm.GET_XCRS, Kvm.XCRS_SIZE, "KVM_GET_XCRS") : new byte[0];
        byte[] debug = get(Kvm.GET_DEBUGREGS, Kvm.DEBUGREGS_SIZE, "KVM_GET_DEBUGREGS");
        byte[] lapic = get(Kvm.GET_LAPIC, Kvm.LAPIC_SIZE, "KVM_GET_LAPIC");
        int khz = 0;
        if (partition.hasTscKhz()) {
            khz = LibC.ioctl(fd, Kvm.GET_TSC_KHZ, 0L);
            check(khz, "KVM_GET_TSC_KHZ", index);
        }
        byte[] cpuid = new byte[cpuid2.bytes.getInt(0) * Kvm.CPUID_ENTRY_SIZE];
        cpuid2.bytes.get(Kvm.CPUID_HEADER, cpuid);
        boolean mtrr = (CpuidCompatibility.register(ByteBuffer.wrap(cpuid).order(ByteOrder.nativeOrder()),
                cpuid.length / Kvm.CPUID_ENTRY_SIZE, 1, 0, 3) & (1 << 12)) != 0;
        byte[] msrs = readMsrs(msrsToSave(partition.msrIndexList(), mtrr));
        byte[] events = get(Kvm.GET_VCPU_EVENTS, Kvm.VCPU_EVENTS_SIZE, "KVM_GET_VCPU_EVENTS");
        return new KvmVcpuState(cpuid, khz, mp, regs, sregs, xsave, xcrState, debug, lapic, msrs, events).toBlob();
    }

    /**
     * KVM refuses KVM_GET/SET_MSRS with 256 or more entries (E2BIG, MAX_IO_MSRS in
     * arch/x86/kvm/x86.c); hosts with many MSRs in their index list need several calls.
     */
    private static final int MAX_MSRS_PER_CALL = 255;

    /**
     * KVM_GET_MSRS stops at the first MSR it cannot read and returns how many it read; that MSR
     * is left out (this vCPU's CPUID does not give it, e.g. a Hyper-V MSR on a KVM-only guest) and
     * the read goes on after it, as Firecracker and QEMU do.
     */
    private byte[] readMsrs(int[] indices) throws HypervisorException {
        List<byte[]> entries = new ArrayList<>(indices.length);
        List<String> skipped = new ArrayList<>();
        int from = 0;
        while (from < indices.length) {
            int n = Math.min(indices.length - from, MAX_MSRS_PER_CALL);
            NativeBuffer buffer = new NativeBuffer(Kvm.MSRS_HEADER + n * Kvm.MSR_ENTRY_SIZE);
            buffer.bytes.putInt(0, n);
            for (int i = 0; i < n; i++) {
                buffer.bytes.putInt(Kvm.MSRS_HEADER + i * Kvm.MSR_ENTRY_SIZE, indices[from + i]);
            }
            int read = LibC.ioctl(fd, Kvm.GET_MSRS, buffer.memory);
            check(read, "KVM_GET_MSRS", index);
            for (int i = 0; i < read; i++) {
                byte[] entry = new byte[Kvm.MSR_ENTRY_SIZE];
                buffer.bytes.get(Kvm.MSRS_HEADER + i * Kvm.MSR_ENTRY_SIZE, entry);
                entries.add(entry);
            }
            from += read;
            if (read < n) {
                skipped.add(Integer.toHexString(indices[from]));
                from++;
            }
        }
        LOG.debug("vCPU {}: saved {} MSRs; KVM could not read {}", index, entries.size(), skipped);
        byte[] out = new byte[entries.size() * Kvm.MSR_ENTRY_SIZE];
        for (int i = 0; i < entries.size(); i++) {
            System.arraycopy(entries.get(i), 0, out, i * Kvm.MSR_ENTRY_SIZE, Kvm.MSR_ENTRY_SIZE);
        }
        return out;
    }

    /** KVM_RUN with immediate_exit set: finishes a pending I/O instruction, runs no guest code. */
    private void completePendingExit() throws HypervisorException {
        if (!exitInFlight) {
            return;
        }
        byte previous = run.get(Kvm.RUN_IMMEDIATE_EXIT);
        run.put(Kvm.RUN_IMMEDIATE_EXIT, (byte) 1);
        int result = LibC.ioctl(fd, Kvm.RUN, 0L);
        int errno = LibC.errno();
        run.put(Kvm.RUN_IMMEDIATE_EXIT, previous);
        if (result >= 0) {
            // completing it led to another exit (the next element of a string I/O): not resumable here
            throw new HypervisorException("vCPU " + index + " stopped inside an I/O instruction that needs another"
                    + " exit (exit reason " + run.getInt(Kvm.RUN_EXIT_REASON) + "): run it on before saving");
        }
        if (errno != LibC.EINTR && errno != LibC.EAGAIN) {
            throw new HypervisorException("KVM_RUN (to complete a pending I/O exit) on vCPU " + index + " failed: "
                    + LibC.describe(errno));
        }
        exitInFlight = false;
    }

    /**
     * Writes a saved state back, after {@link KvmPartition#restoreState}, in the order KVM needs
     * (Firecracker's): TSC frequency (before anything derives from the TSC), CPUID (it decides
     * which MSRs and XSAVE features exist), MP state, regs, sregs, XSAVE, XCRs, debug registers,
     * LAPIC, MSRs, then the pending events. The LAPIC goes before the MSRs because KVM ignores a
     * write to IA32_TSC_DEADLINE unless the LAPIC timer is in TSC-deadline mode; within the MSRs
     * IA32_TSC goes first and TSC_DEADLINE last ({@link #msrsToSave}).
     */
    @Override
    public synchronized void restoreState(SavedStateBlob blob) throws HypervisorException {
        KvmVcpuState state = KvmVcpuState.fromBlob(blob);
        checkRestorable(state);
        checkParked("restore");

        int khz = state.tscKhz();
        if (khz != 0 && partition.hasTscKhz()) {
            int current = LibC.ioctl(fd, Kvm.GET_TSC_KHZ, 0L);
            check(current, "KVM_GET_TSC_KHZ", index);
            if (current != khz && LibC.ioctl(fd, Kvm.SET_TSC_KHZ, khz) < 0) {
                throw new IllegalArgumentException(String.format("the snapshot's guest TSC runs at %d kHz; this host's"
                        + " runs at %d kHz and its KVM cannot scale it (KVM_SET_TSC_KHZ: %s): restore on a host with"
                        + " the same TSC frequency or with TSC scaling", khz, current, LibC.describe(LibC.errno())));
            }
        }
        NativeBuffer table = new NativeBuffer(Kvm.CPUID_HEADER + state.cpuid().length);
        table.bytes.putInt(0, state.cpuidCount());
        table.bytes.put(Kvm.CPUID_HEADER, state.cpuid());
        check(LibC.ioctl(fd, Kvm.SET_CPUID2, table.memory), "KVM_SET_CPUID2", index);
        cpuid2 = table;
        set(Kvm.SET_MP_STATE, state.mpState(), "KVM_SET_MP_STATE");
        set(Kvm.SET_REGS, state.regs(), "KVM_SET_REGS");
        NativeBuffer sregs = KvmPartition.buffer(state.sregs());
        forceMmuContextRebuild(sregs.bytes);
        check(LibC.ioctl(fd, Kvm.SET_SREGS, sregs.memory), "KVM_SET_SREGS", index);
        // KVM_SET_XSAVE reads as many bytes as this VM's XSAVE area has (4096 without KVM_CAP_XSAVE2)
        byte[] xsave = Arrays.copyOf(state.xsave(), Math.max(partition.xsaveSize(), Kvm.XSAVE_SIZE));
        set(Kvm.SET_XSAVE, xsave, "KVM_SET_XSAVE");
        if (state.xcrs().length > 0) {
            if (!xcrs) {
                throw new HypervisorException("this host's KVM lacks KVM_CAP_XCRS: cannot restore vCPU " + index
                        + "'s XCR0");
            }
            set(Kvm.SET_XCRS, state.xcrs(), "KVM_SET_XCRS");
        }
        set(Kvm.SET_DEBUGREGS, state.debugregs(), "KVM_SET_DEBUGREGS");
        set(Kvm.SET_LAPIC, state.lapic(), "KVM_SET_LAPIC");
        if (partition.firstTscRestore()) {
            moveTscOutOfSyncWindow(state.msr(BootMsrs.IA32_TSC, 0));
        }
        writeMsrs(state.msrs());
        set(Kvm.SET_VCPU_EVENTS, state.events(), "KVM_SET_VCPU_EVENTS");
        exitInFlight = false;
    }

    /**
     * Makes the coming write of the saved TSC land exactly. KVM takes a userspace write of
     * IA32_TSC that is within one second of the TSC it expects (the last value written to any
     * vCPU of the VM plus the time since) for an attempt to synchronize vCPUs, and keeps the other
     * vCPUs' offset instead of the value (arch/x86/kvm/x86.c, kvm_synchronize_tsc; still so with
     * the 6.7 change, as this backend writes the TSC at boot). A snapshot's TSC, i.e. its guest's
     * uptime, near the new VM's own age would then jump the guest's TSC by up to a second. So when
     * the saved TSC is near, a first write far from both (4 s of cycles past the larger) moves the
     * expectation away. Done for the first vCPU restored only: the others' saved TSCs are within
     * moments of it, and KVM's matching gives them the same offset, which is what they had.
     */
    private void moveTscOutOfSyncWindow(long saved) throws HypervisorException {
        int khz = partition.hasTscKhz() ? LibC.ioctl(fd, Kvm.GET_TSC_KHZ, 0L) : 0;
        long hz = (khz > 0 ? khz : 5_000_000L) * 1000L; // without the frequency, as if 5 GHz: a wider window
        long current = readMsr(BootMsrs.IA32_TSC);
        if (Math.abs(saved - current) < 2 * hz) {
            NativeBuffer decoy = new NativeBuffer(Kvm.MSRS_HEADER + Kvm.MSR_ENTRY_SIZE);
            decoy.bytes.putInt(0, 1);
            decoy.bytes.putInt(Kvm.MSRS_HEADER, BootMsrs.IA32_TSC);
            decoy.bytes.putLong(Kvm.MSRS_HEADER + 8, Math.max(saved, current) + 4 * hz);
            if (LibC.ioctl(fd, Kvm.SET_MSRS, decoy.memory) != 1) {
                throw new HypervisorException("KVM_SET_MSRS (IA32_TSC) on vCPU " + index + " failed: "
                        + LibC.describe(LibC.errno()));
            }
        }
    }

    private long readMsr(int msr) throws HypervisorException {
        NativeBuffer one = new NativeBuffer(Kvm.MSRS_HEADER + Kvm.MSR_ENTRY_SIZE);
        one.bytes.putInt(0, 1);
        one.bytes.putInt(Kvm.MSRS_HEADER, msr);
        if (LibC.ioctl(fd, Kvm.GET_MSRS, one.memory) != 1) {
            throw new HypervisorException("KVM_GET_MSRS (0x" + Integer.toHexString(msr) + ") on vCPU " + index
                    + " failed: " + LibC.describe(LibC.errno()));
        }
        return one.bytes.getLong(Kvm.MSRS_HEADER + 8);
    }

    /**
     * The checks that need no ioctl, so a blob this host cannot take leaves the vCPU untouched:
     * CPUID features, the vCPU the state belongs to, and XSAVE components beyond this VM's area.
     */
    private void checkRestorable(KvmVcpuState state) {
        List<String> missing = CpuidCompatibility.missingFeatures(state.cpuid(), partition.supportedCpuid());
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("the snapshot's CPU has features this host lacks: "
                    + String.join("; ", missing) + ". Restore it on a host whose CPU and KVM offer them");
        }
        ByteBuffer cpuid = ByteBuffer.wrap(state.cpuid()).order(ByteOrder.nativeOrder());
        int apicId = CpuidCompatibility.register(cpuid, state.cpuidCount(), 1, 0, 1) >>> 24;
        if (apicId != (index & 0xff)) {
            throw new IllegalArgumentException("saved state of vCPU " + apicId + " given to vCPU " + index);
        }
        byte[] xsave = state.xsave();
        int room = Math.max(partition.xsaveSize(), Kvm.XSAVE_SIZE);
        for (int i = room; i < xsave.length; i++) {
            if (xsave[i] != 0) {
                throw new IllegalArgumentException("vCPU " + index + "'s saved XSAVE area (" + xsave.length
                        + " bytes) holds state beyond the " + room + " bytes this host's KVM keeps");
            }
        }
    }

    /**
     * KVM_SET_MSRS, which stops at the first MSR it refuses and returns how many it wrote: the
     * refused one is skipped with a warning (it is one KVM lists but will not take from userspace
     * on this host, e.g. a feature MSR already fixed by CPUID) and the rest written after it.
     */
    private void writeMsrs(byte[] msrs) throws HypervisorException {
        int count = msrs.length / Kvm.MSR_ENTRY_SIZE;
        int from = 0;
        while (from < count) {
            int n = Math.min(count - from, MAX_MSRS_PER_CALL);
            NativeBuffer buffer = new NativeBuffer(Kvm.MSRS_HEADER + n * Kvm.MSR_ENTRY_SIZE);
            buffer.bytes.putInt(0, n);
            buffer.bytes.put(Kvm.MSRS_HEADER, msrs, from * Kvm.MSR_ENTRY_SIZE, n * Kvm.MSR_ENTRY_SIZE);
            int written = LibC.ioctl(fd, Kvm.SET_MSRS, buffer.memory);
            check(written, "KVM_SET_MSRS", index);
            from += written;
            if (written < n) {
                ByteBuffer e = ByteBuffer.wrap(msrs, from * Kvm.MSR_ENTRY_SIZE, Kvm.MSR_ENTRY_SIZE)
                        .order(ByteOrder.nativeOrder());
                LOG.warn("vCPU {}: this host's KVM refused saved MSR 0x{} = 0x{}; the guest continues without it",
                        index, Integer.toHexString(e.getInt(from * Kvm.MSR_ENTRY_SIZE)),
                        Long.toHexString(e.getLong(from * Kvm.MSR_ENTRY_SIZE + 8)));
                from++;
            }
        }
    }

    private void checkParked(String what) {
        if (closed) {
            throw new IllegalStateException("vCPU " + index + " is closed");
        }
        if (inRun()) {
            throw new IllegalStateException("vCPU " + index + " is running: park it before its state can be " + what
                    + "d");
        }
    }

    private byte[] get(long request, int size, String what) throws HypervisorException {
        NativeBuffer buffer = new NativeBuffer(size);
        check(LibC.ioctl(fd, request, buffer.memory), what, index);
        return KvmPartition.bytes(buffer);
    }

    private void set(long request, byte[] bytes, String what) throws HypervisorException {
        check(LibC.ioctl(fd, request, KvmPartition.buffer(bytes).memory), what, index);
    }

    // ---------------------------------------------------------------- kick

    private void bindToCurrentThread() {
        Thread current = Thread.currentThread();
        if (owner != current) {
            owner = current;
            ownerPthread = LibC.pthread_self();
            kickSignal.unblockInCurrentThread();
        }
    }

    /**
     * Synchronized with {@link #close()}: a request thread may kick while the VM is being torn down
     * (jvmm ctl shutdown raced the guest's own power-off), and a store into the unmapped
     * {@code kvm_run} page would crash the JVM. Kicks are rare, so the monitor costs nothing.
     */
    @Override
    public synchronized void kick() {
        if (closed) {
            return;
        }
        run.put(Kvm.RUN_IMMEDIATE_EXIT, (byte) 1);
        // the volatile store orders the one above before the read below; the vCPU thread does the
        // mirror image (publish runningThread, then KVM_RUN reads immediate_exit), so either this
        // thread sees it running and signals, or its next KVM_RUN sees immediate_exit
        kickRequested = true;
        long thread = runningThread;
        if (thread != 0) {
            kickSignal.send(thread);
        }
    }

    @Override
    public void clearKick() {
        kickRequested = false;
        run.put(Kvm.RUN_IMMEDIATE_EXIT, (byte) 0);
    }

    /** Whether a thread is inside {@link #run} right now. */
    boolean inRun() {
        return runningThread != 0;
    }

    synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (inRun()) {
            // A thread that never left KVM_RUN would touch kvm_run again when it does: keep the
            // page (and the fd) rather than crash the JVM; the process is ending anyway.
            return;
        }
        LibC.munmap(runAddress, runSize);
        LibC.close(fd);
    }
}
