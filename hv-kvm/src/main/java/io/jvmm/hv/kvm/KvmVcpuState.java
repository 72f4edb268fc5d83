package io.jvmm.hv.kvm;

import io.jvmm.api.device.SavedStateBlob;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * A KVM x86 vCPU's state as the kernel's own structures, in the order {@link KvmVcpu#restoreState}
 * writes them back. Blob format {@value #FORMAT}, version {@value #VERSION}; see {@link StateSections}.
 *
 * @param cpuid the kvm_cpuid_entry2 records the vCPU was given (KVM_SET_CPUID2, without the header)
 * @param tscKhz the guest TSC frequency (KVM_GET_TSC_KHZ), 0 when the host could not tell
 * @param mpState struct kvm_mp_state
 * @param regs struct kvm_regs
 * @param sregs struct kvm_sregs
 * @param xsave struct kvm_xsave, 4096 bytes or the larger KVM_CAP_XSAVE2 size
 * @param xcrs struct kvm_xcrs, empty when the host has no KVM_CAP_XCRS
 * @param debugregs struct kvm_debugregs
 * @param lapic struct kvm_lapic_state
 * @param msrs kvm_msr_entry records (u32 index, u32 reserved, u64 data), in the order to write them
 * @param events struct kvm_vcpu_events
 */
record KvmVcpuState(byte[] cpuid, int tscKhz, byte[] mpState, byte[] regs, byte[] sregs, byte[] xsave, byte[] xcrs,
        byte[] debugregs, byte[] lapic, byte[] msrs, byte[] events) {
    static final String FORMAT = "kvm.x86.vcpu";
    static final int VERSION = 1;
    /** KVM's own limit for KVM_SET_CPUID2 (KVM_MAX_CPUID_ENTRIES). */
    static final int MAX_CPUID_ENTRIES = 256;
    static final int MAX_MSRS = 4096;
    /** Far above any XSAVE area (AMX makes it about 11 KiB). */
    static final int MAX_XSAVE = 1 << 20;

    static final List<StateSections.Section> LAYOUT = List.of(
            StateSections.Section.list("cpuid", Kvm.CPUID_ENTRY_SIZE, MAX_CPUID_ENTRIES),
            StateSections.Section.fixed("tsc_khz", 4),
            StateSections.Section.fixed("mp_state", Kvm.MP_STATE_SIZE),
            StateSections.Section.fixed("regs", Kvm.REGS_SIZE),
            StateSections.Section.fixed("sregs", Kvm.SREGS_SIZE),
            new StateSections.Section("xsave", Kvm.XSAVE_SIZE, MAX_XSAVE, 4),
            new StateSections.Section("xcrs", 0, Kvm.XCRS_SIZE, Kvm.XCRS_SIZE),
            StateSections.Section.fixed("debugregs", Kvm.DEBUGREGS_SIZE),
            StateSections.Section.fixed("lapic", Kvm.LAPIC_SIZE),
            StateSections.Section.list("msrs", Kvm.MSR_ENTRY_SIZE, MAX_MSRS),
            StateSections.Section.fixed("vcpu_events", Kvm.VCPU_EVENTS_SIZE));

    SavedStateBlob toBlob() {
        byte[] khz = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(tscKhz).array();
        return new SavedStateBlob(FORMAT, VERSION, StateSections.encode(LAYOUT,
                List.of(cpuid, khz, mpState, regs, sregs, xsave, xcrs, debugregs, lapic, msrs, events)));
    }

    /** @throws IllegalArgumentException for a blob of another format or version, or malformed bytes */
    static KvmVcpuState fromBlob(SavedStateBlob blob) {
        List<byte[]> p = StateSections.decode(blob, FORMAT, VERSION, LAYOUT);
        int khz = ByteBuffer.wrap(p.get(1)).order(ByteOrder.LITTLE_ENDIAN).getInt();
        if (khz < 0) {
            throw new IllegalArgumentException("saved " + FORMAT + " state is corrupt: TSC frequency " + khz + " kHz");
        }
        return new KvmVcpuState(p.get(0), khz, p.get(2), p.get(3), p.get(4), p.get(5), p.get(6), p.get(7),
                p.get(8), p.get(9), p.get(10));
    }

    int cpuidCount() {
        return cpuid.length / Kvm.CPUID_ENTRY_SIZE;
    }

    /** The MSR indices in {@link #msrs()}, in order. */
    int[] msrIndices() {
        ByteBuffer b = ByteBuffer.wrap(msrs).order(ByteOrder.nativeOrder());
        int[] out = new int[msrs.length / Kvm.MSR_ENTRY_SIZE];
        for (int i = 0; i < out.length; i++) {
            out[i] = b.getInt(i * Kvm.MSR_ENTRY_SIZE);
        }
        return out;
    }

    /** The saved value of MSR {@code index}, or {@code fallback} when it was not saved. */
    long msr(int index, long fallback) {
        ByteBuffer b = ByteBuffer.wrap(msrs).order(ByteOrder.nativeOrder());
        for (int e = 0; e < msrs.length; e += Kvm.MSR_ENTRY_SIZE) {
            if (b.getInt(e) == index) {
                return b.getLong(e + 8);
            }
        }
        return fallback;
    }
}
