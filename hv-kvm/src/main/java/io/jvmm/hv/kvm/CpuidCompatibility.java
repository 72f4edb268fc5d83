package io.jvmm.hv.kvm;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Whether a CPUID table a guest was given (saved with a snapshot) is one this host's KVM can give
 * again: every feature bit set in the saved table must be set in KVM_GET_SUPPORTED_CPUID. A guest
 * that saw AVX-512 at boot and is resumed on a host without it would take #UD on its next vector
 * instruction (or worse, XRSTOR state the host cannot hold), so restore refuses it up front.
 *
 * <p>Only leaves whose registers are feature bitmaps are compared (Intel SDM vol. 2A, CPUID; AMD
 * APM vol. 3 appendix E; Linux Documentation/virt/kvm/x86/cpuid.rst for 0x40000001). Leaves
 * that describe topology, cache geometry or sizes are not features and may differ. A few bits are
 * left out: OSXSAVE, OSPKE and APIC mirror CR4/APIC-base state at run time, and the hypervisor
 * and HTT bits are ones {@link CpuidTable#forVcpu} sets itself.
 */
final class CpuidCompatibility {
    private static final int EAX = 0;
    private static final int EBX = 1;
    private static final int ECX = 2;
    private static final int EDX = 3;
    private static final String[] REG_NAMES = {"EAX", "EBX", "ECX", "EDX"};

    /** A feature register: leaf, subleaf, register, the bits not compared, and names for some bits. */
    private record FeatureRegister(int function, int subleaf, int reg, int ignored, Map<Integer, String> names) {}

    private static final List<FeatureRegister> FEATURE_REGISTERS = List.of(
            new FeatureRegister(1, 0, ECX, (1 << 27) | (1 << 31), Map.ofEntries(
                    Map.entry(0, "SSE3"), Map.entry(1, "PCLMULQDQ"), Map.entry(9, "SSSE3"), Map.entry(12, "FMA"),
                    Map.entry(13, "CMPXCHG16B"), Map.entry(19, "SSE4.1"), Map.entry(20, "SSE4.2"),
                    Map.entry(21, "x2APIC"), Map.entry(22, "MOVBE"), Map.entry(23, "POPCNT"),
                    Map.entry(24, "TSC-deadline"), Map.entry(25, "AES"), Map.entry(26, "XSAVE"),
                    Map.entry(28, "AVX"), Map.entry(29, "F16C"), Map.entry(30, "RDRAND"))),
            new FeatureRegister(1, 0, EDX, (1 << 9) | (1 << 28), Map.ofEntries(
                    Map.entry(0, "FPU"), Map.entry(4, "TSC"), Map.entry(5, "MSR"), Map.entry(6, "PAE"),
                    Map.entry(8, "CX8"), Map.entry(11, "SEP"), Map.entry(12, "MTRR"), Map.entry(15, "CMOV"),
                    Map.entry(16, "PAT"), Map.entry(23, "MMX"), Map.entry(24, "FXSR"), Map.entry(25, "SSE"),
                    Map.entry(26, "SSE2"))),
            new FeatureRegister(7, 0, EBX, 0, Map.ofEntries(
                    Map.entry(0, "FSGSBASE"), Map.entry(3, "BMI1"), Map.entry(5, "AVX2"), Map.entry(7, "SMEP"),
                    Map.entry(8, "BMI2"), Map.entry(9, "ERMS"), Map.entry(10, "INVPCID"), Map.entry(16, "AVX512F"),
                    Map.entry(17, "AVX512DQ"), Map.entry(18, "RDSEED"), Map.entry(19, "ADX"), Map.entry(20, "SMAP"),
                    Map.entry(21, "AVX512IFMA"), Map.entry(23, "CLFLUSHOPT"), Map.entry(24, "CLWB"),
                    Map.entry(28, "AVX512CD"), Map.entry(29, "SHA"), Map.entry(30, "AVX512BW"),
                    Map.entry(31, "AVX512VL"))),
            new FeatureRegister(7, 0, ECX, 1 << 4, Map.ofEntries(
                    Map.entry(1, "AVX512VBMI"), Map.entry(2, "UMIP"), Map.entry(3, "PKU"), Map.entry(6, "AVX512VBMI2"),
                    Map.entry(8, "GFNI"), Map.entry(9, "VAES"), Map.entry(10, "VPCLMULQDQ"),
                    Map.entry(11, "AVX512VNNI"), Map.entry(12, "AVX512BITALG"), Map.entry(14, "AVX512VPOPCNTDQ"),
                    Map.entry(16, "LA57"), Map.entry(22, "RDPID"))),
            new FeatureRegister(7, 0, EDX, 0, Map.ofEntries(
                    Map.entry(4, "FSRM"), Map.entry(10, "MD_CLEAR"), Map.entry(14, "SERIALIZE"),
                    Map.entry(22, "AMX-BF16"), Map.entry(23, "AVX512FP16"), Map.entry(24, "AMX-TILE"),
                    Map.entry(25, "AMX-INT8"), Map.entry(26, "IBRS/IBPB"), Map.entry(27, "STIBP"),
                    Map.entry(29, "ARCH_CAPABILITIES"), Map.entry(31, "SSBD"))),
            new FeatureRegister(7, 1, EAX, 0, Map.of(4, "AVX-VNNI", 5, "AVX512BF16")),
            // XSAVE state components the guest may enable in XCR0 (SDM vol. 1 §13.2)
            new FeatureRegister(0xd, 0, EAX, 0, Map.ofEntries(
                    Map.entry(0, "x87 state"), Map.entry(1, "SSE state"), Map.entry(2, "AVX state"),
                    Map.entry(3, "MPX BNDREGS state"), Map.entry(4, "MPX BNDCSR state"),
                    Map.entry(5, "AVX-512 opmask state"), Map.entry(6, "AVX-512 ZMM_Hi256 state"),
                    Map.entry(7, "AVX-512 Hi16_ZMM state"), Map.entry(9, "PKRU state"),
                    Map.entry(17, "AMX TILECFG state"), Map.entry(18, "AMX TILEDATA state"))),
            new FeatureRegister(0xd, 0, EDX, 0, Map.of()),
            new FeatureRegister(0xd, 1, EAX, 0, Map.of(0, "XSAVEOPT", 1, "XSAVEC", 2, "XGETBV1", 3, "XSAVES")),
            new FeatureRegister(0x4000_0001, 0, EAX, 0, Map.of(0, "kvmclock", 3, "kvmclock2", 4, "async PF",
                    5, "steal time", 6, "PV EOI", 9, "PV TLB flush", 24, "stable kvmclock")),
            new FeatureRegister(0x8000_0001, 0, ECX, 0, Map.of(0, "LAHF_LM", 2, "SVM", 5, "LZCNT", 6, "SSE4A",
                    8, "PREFETCHW")),
            new FeatureRegister(0x8000_0001, 0, EDX, 0, Map.of(11, "SYSCALL", 20, "NX", 26, "1GB pages",
                    27, "RDTSCP", 29, "long mode")),
            new FeatureRegister(0x8000_0007, 0, EDX, 0, Map.of(8, "invariant TSC")),
            new FeatureRegister(0x8000_0008, 0, EBX, 0, Map.of()));

    private CpuidCompatibility() {}

    /**
     * What {@code saved} has that {@code host} lacks, one entry per register, e.g.
     * {@code CPUID.7.0:EBX bits 16 (AVX512F), 30 (AVX512BW)}; empty when the host can give it all.
     * Both are arrays of kvm_cpuid_entry2 (without the kvm_cpuid2 header) in native byte order.
     */
    static List<String> missingFeatures(ByteBuffer saved, int savedCount, ByteBuffer host, int hostCount) {
        List<String> missing = new ArrayList<>();
        for (FeatureRegister f : FEATURE_REGISTERS) {
            int want = register(saved, savedCount, f.function(), f.subleaf(), f.reg()) & ~f.ignored();
            int have = register(host, hostCount, f.function(), f.subleaf(), f.reg());
            int lacking = want & ~have;
            if (lacking == 0) {
                continue;
            }
            StringBuilder b = new StringBuilder(leafName(f.function(), f.subleaf()))
                    .append(':').append(REG_NAMES[f.reg()]).append(Integer.bitCount(lacking) == 1 ? " bit " : " bits ");
            boolean first = true;
            for (int bit = 0; bit < 32; bit++) {
                if ((lacking & (1 << bit)) != 0) {
                    b.append(first ? "" : ", ").append(bit);
                    String name = f.names().get(bit);
                    if (name != null) {
                        b.append(" (").append(name).append(')');
                    }
                    first = false;
                }
            }
            missing.add(b.toString());
        }
        return missing;
    }

    /** Convenience over byte arrays of kvm_cpuid_entry2 records. */
    static List<String> missingFeatures(byte[] saved, CpuidTable host) {
        ByteBuffer s = ByteBuffer.wrap(saved).order(ByteOrder.nativeOrder());
        return missingFeatures(s, saved.length / Kvm.CPUID_ENTRY_SIZE, host.entries(), host.count());
    }

    /** "CPUID.7.0" or "CPUID.0x80000001.0". */
    static String leafName(int function, int subleaf) {
        return "CPUID." + (function >= 0 && function < 10 ? Integer.toString(function)
                : "0x" + Integer.toHexString(function)) + "." + subleaf;
    }

    /** Register {@code reg} of a leaf, 0 when the table has no such leaf. */
    static int register(ByteBuffer entries, int count, int function, int subleaf, int reg) {
        for (int i = 0; i < count; i++) {
            int e = i * Kvm.CPUID_ENTRY_SIZE;
            if (entries.getInt(e) == function && entries.getInt(e + 4) == subleaf) {
                return entries.getInt(e + 12 + 4 * reg);
            }
        }
        return 0;
    }
}
