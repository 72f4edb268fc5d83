package io.jvmm.hv.kvm;

import java.nio.ByteBuffer;

/**
 * The CPUID leaves KVM supports (kvm_cpuid_entry2 records, 40 bytes each), and their per-vCPU
 * normalization: APIC ids, topology and the hypervisor bit. Immutable: {@link #forVcpu} copies.
 */
final class CpuidTable {
    private static final int FUNCTION = 0;
    private static final int INDEX = 4;
    private static final int EAX = 12;
    private static final int EBX = 16;
    private static final int ECX = 20;
    private static final int EDX = 24;

    private static final int LEAF1_ECX_PDCM = 1 << 15;
    private static final int LEAF1_ECX_HYPERVISOR = 1 << 31;
    private static final int LEAF1_EDX_HTT = 1 << 28;
    private static final int LEAF1_EDX_MTRR = 1 << 12;

    private final ByteBuffer entries;
    private final int count;

    CpuidTable(ByteBuffer entries, int count) {
        this.entries = entries;
        this.count = count;
    }

    int count() {
        return count;
    }

    /** The kvm_cpuid_entry2 records, native order, read-only. */
    ByteBuffer entries() {
        return entries.asReadOnlyBuffer().order(entries.order());
    }

    /**
     * A kvm_cpuid2 for vCPU {@code index} of {@code vcpuCount}, ready for KVM_SET_CPUID2. Each vCPU
     * is one core of one package: initial APIC id = x2APIC id = the vCPU index.
     */
    NativeBuffer forVcpu(int index, int vcpuCount) {
        NativeBuffer cpuid2 = new NativeBuffer(Kvm.CPUID_HEADER + count * Kvm.CPUID_ENTRY_SIZE);
        ByteBuffer out = cpuid2.bytes;
        out.putInt(0, count);
        out.put(Kvm.CPUID_HEADER, entries, 0, count * Kvm.CPUID_ENTRY_SIZE);
        int coreBits = 32 - Integer.numberOfLeadingZeros(Math.max(vcpuCount - 1, 0));
        for (int i = 0; i < count; i++) {
            int e = Kvm.CPUID_HEADER + i * Kvm.CPUID_ENTRY_SIZE;
            int function = out.getInt(e + FUNCTION);
            int subleaf = out.getInt(e + INDEX);
            if (function == 1) {
                int ebx = out.getInt(e + EBX) & 0xff; // keep the brand index
                ebx |= 8 << 8; // CLFLUSH line size in 8-byte units (64 bytes)
                ebx |= Math.min(vcpuCount, 255) << 16; // logical processors per package
                ebx |= (index & 0xff) << 24; // initial APIC id
                out.putInt(e + EBX, ebx);
                // PDCM would promise IA32_PERF_CAPABILITIES, which KVM may not let us provide
                out.putInt(e + ECX, (out.getInt(e + ECX) & ~LEAF1_ECX_PDCM) | LEAF1_ECX_HYPERVISOR);
                int edx = out.getInt(e + EDX);
                out.putInt(e + EDX, vcpuCount > 1 ? edx | LEAF1_EDX_HTT : edx & ~LEAF1_EDX_HTT);
            } else if (function == 0xB || function == 0x1F) {
                // extended topology: level 0 = SMT (one thread per core), level 1 = core (all vCPUs)
                if (subleaf == 0) {
                    out.putInt(e + EAX, 0);
                    out.putInt(e + EBX, 1);
                    out.putInt(e + ECX, 1 << 8);
                } else if (subleaf == 1) {
                    out.putInt(e + EAX, coreBits);
                    out.putInt(e + EBX, vcpuCount);
                    out.putInt(e + ECX, 1 | (2 << 8));
                } else {
                    out.putInt(e + EAX, 0);
                    out.putInt(e + EBX, 0);
                    out.putInt(e + ECX, subleaf & 0xff);
                }
                out.putInt(e + EDX, index);
            }
        }
        return cpuid2;
    }

    /** Leaf 1 EAX, the processor signature (also RDX after reset); 0x600 if the leaf is missing. */
    int signature() {
        int e = find(1, 0);
        return e < 0 ? 0x600 : entries.getInt(e + EAX);
    }

    /** Whether leaf 1 reports MTRRs (then IA32_MTRR_DEF_TYPE exists). */
    boolean hasMtrr() {
        int e = find(1, 0);
        return e >= 0 && (entries.getInt(e + EDX) & LEAF1_EDX_MTRR) != 0;
    }

    /** The register {@code reg} (0 = EAX ... 3 = EDX) of a leaf in a kvm_cpuid2 made by {@link #forVcpu}. */
    static int register(NativeBuffer cpuid2, int function, int subleaf, int reg) {
        ByteBuffer b = cpuid2.bytes;
        int n = b.getInt(0);
        for (int i = 0; i < n; i++) {
            int e = Kvm.CPUID_HEADER + i * Kvm.CPUID_ENTRY_SIZE;
            if (b.getInt(e + FUNCTION) == function && b.getInt(e + INDEX) == subleaf) {
                return b.getInt(e + EAX + 4 * reg);
            }
        }
        throw new IllegalArgumentException("no CPUID leaf " + Integer.toHexString(function) + "." + subleaf);
    }

    private int find(int function, int subleaf) {
        for (int i = 0; i < count; i++) {
            int e = i * Kvm.CPUID_ENTRY_SIZE;
            if (entries.getInt(e + FUNCTION) == function && entries.getInt(e + INDEX) == subleaf) {
                return e;
            }
        }
        return -1;
    }
}
