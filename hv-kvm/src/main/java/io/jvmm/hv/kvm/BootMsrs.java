package io.jvmm.hv.kvm;

import io.jvmm.api.hv.HypervisorException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MSR values a vCPU gets at boot (the set Firecracker and kvmtool write), limited to what this
 * host's KVM accepts: first filtered against KVM_GET_MSR_INDEX_LIST, then by what KVM_SET_MSRS
 * actually took (it stops at the first MSR it rejects and returns how many it set).
 */
final class BootMsrs {
    private static final Logger LOG = LoggerFactory.getLogger(BootMsrs.class);

    static final int IA32_TSC = 0x10;
    static final int IA32_SYSENTER_CS = 0x174;
    static final int IA32_SYSENTER_ESP = 0x175;
    static final int IA32_SYSENTER_EIP = 0x176;
    static final int IA32_MISC_ENABLE = 0x1a0;
    static final int IA32_MTRR_DEF_TYPE = 0x2ff;
    static final int STAR = 0xc000_0081;
    static final int LSTAR = 0xc000_0082;
    static final int CSTAR = 0xc000_0083;
    static final int SYSCALL_MASK = 0xc000_0084;
    static final int KERNEL_GS_BASE = 0xc000_0102;

    /** One MSR and its boot value. */
    record Msr(int index, long value) {}

    private List<Msr> msrs;

    private BootMsrs(List<Msr> msrs) {
        this.msrs = msrs;
    }

    /**
     * The boot list for this host. MTRRdefType is not in KVM's index list (KVM emulates MTRRs
     * separately), so it is offered whenever CPUID reports MTRRs; KVM_SET_MSRS has the last word.
     */
    static BootMsrs forHost(int[] indexList, boolean hasMtrr) {
        Set<Integer> supported = IntStream.of(indexList).boxed().collect(Collectors.toSet());
        List<Msr> wanted = List.of(
                new Msr(IA32_SYSENTER_CS, 0), new Msr(IA32_SYSENTER_ESP, 0), new Msr(IA32_SYSENTER_EIP, 0),
                new Msr(STAR, 0), new Msr(CSTAR, 0), new Msr(KERNEL_GS_BASE, 0), new Msr(SYSCALL_MASK, 0),
                new Msr(LSTAR, 0), new Msr(IA32_TSC, 0),
                new Msr(IA32_MISC_ENABLE, 1), // fast strings
                new Msr(IA32_MTRR_DEF_TYPE, (1 << 11) | 6)); // MTRRs enabled, default write-back
        List<Msr> kept = new ArrayList<>();
        for (Msr msr : wanted) {
            if (supported.contains(msr.index()) || (msr.index() == IA32_MTRR_DEF_TYPE && hasMtrr)) {
                kept.add(msr);
            } else {
                LOG.debug("MSR 0x{} is not offered by this host's KVM; not set at boot", Integer.toHexString(msr.index()));
            }
        }
        return new BootMsrs(kept);
    }

    /** A copy for one vCPU: each vCPU learns separately what KVM rejects. */
    BootMsrs copy() {
        return new BootMsrs(msrs);
    }

    List<Msr> msrs() {
        return msrs;
    }

    /** Writes the list to a vCPU, dropping (once, with a warning) any MSR KVM refuses. */
    void apply(int vcpuFd, int vcpuIndex) throws HypervisorException {
        List<Msr> list = new ArrayList<>(msrs);
        while (!list.isEmpty()) {
            NativeBuffer buffer = new NativeBuffer(Kvm.MSRS_HEADER + list.size() * Kvm.MSR_ENTRY_SIZE);
            buffer.bytes.putInt(0, list.size());
            for (int i = 0; i < list.size(); i++) {
                int e = Kvm.MSRS_HEADER + i * Kvm.MSR_ENTRY_SIZE;
                buffer.bytes.putInt(e, list.get(i).index());
                buffer.bytes.putLong(e + 8, list.get(i).value());
            }
            int set = LibC.ioctl(vcpuFd, Kvm.SET_MSRS, buffer.memory);
            if (set < 0) {
                throw new HypervisorException("KVM_SET_MSRS on vCPU " + vcpuIndex + " failed: "
                        + LibC.describe(LibC.errno()));
            }
            if (set == list.size()) {
                break;
            }
            Msr rejected = list.remove(set);
            LOG.warn("vCPU {}: this host's KVM rejected MSR 0x{} = 0x{}; the guest runs without it", vcpuIndex,
                    Integer.toHexString(rejected.index()), Long.toHexString(rejected.value()));
        }
        msrs = List.copyOf(list);
    }
}
