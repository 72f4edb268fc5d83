package io.jvmm.hv.kvm;

import io.jvmm.api.hv.HypervisorException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * An open {@code /dev/kvm}: probes the API version and the capabilities jvmm needs, and answers the
 * system-wide queries (supported CPUID, MSR index list, vCPU mmap size).
 */
final class KvmSystem implements AutoCloseable {
    static final String DEVICE = "/dev/kvm";

    /** A capability the backend cannot work without, and what it is for. */
    private record RequiredCap(int id, String description) {}

    private static final List<RequiredCap> REQUIRED_CAPS = List.of(
            new RequiredCap(Kvm.CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY (guest RAM)"),
            new RequiredCap(Kvm.CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR (real-mode TSS)"),
            new RequiredCap(Kvm.CAP_IRQCHIP, "KVM_CAP_IRQCHIP (in-kernel PIC/IOAPIC/LAPIC)"),
            new RequiredCap(Kvm.CAP_PIT2, "KVM_CAP_PIT2 (in-kernel PIT)"),
            new RequiredCap(Kvm.CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID (CPUID setup)"),
            new RequiredCap(Kvm.CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT (stopping vCPUs)"));

    private final int fd;

    private KvmSystem(int fd) {
        this.fd = fd;
    }

    /**
     * Opens and checks {@code /dev/kvm}. The exception message is meant for the user: what is wrong
     * and how to fix it.
     */
    static KvmSystem open() throws HypervisorException {
        return open(DEVICE);
    }

    /** Opens {@code device} (normally {@value #DEVICE}; tests pass other paths). */
    static KvmSystem open(String device) throws HypervisorException {
        if (!hostSupported()) {
            throw new HypervisorException("the kvm backend runs on Linux x86_64 hosts only (this host: "
                    + System.getProperty("os.name") + " " + System.getProperty("os.arch") + ")");
        }
        int fd = LibC.open(device, LibC.O_RDWR | LibC.O_CLOEXEC);
        if (fd < 0) {
            int errno = LibC.errno();
            if (errno == LibC.ENOENT) {
                throw new HypervisorException(device + " does not exist: KVM is not loaded on this host. Enable"
                        + " virtualization (VT-x/AMD-V) in the firmware, load the module (modprobe kvm_intel or"
                        + " kvm_amd), or on a cloud VM enable nested virtualization");
            }
            if (errno == LibC.EACCES || errno == LibC.EPERM) {
                throw new HypervisorException("no permission to open " + device + ": add your user to the"
                        + " group that owns it (usually 'kvm': sudo usermod -aG kvm $USER, then log in again)");
            }
            throw new HypervisorException("cannot open " + device + ": " + LibC.describe(errno));
        }
        KvmSystem system = new KvmSystem(fd);
        try {
            system.check(device);
            return system;
        } catch (HypervisorException e) {
            system.close();
            throw e;
        }
    }

    static boolean hostSupported() {
        String os = System.getProperty("os.name", "");
        String arch = System.getProperty("os.arch", "");
        return os.equals("Linux") && (arch.equals("amd64") || arch.equals("x86_64"));
    }

    private void check(String device) throws HypervisorException {
        int version = LibC.ioctl(fd, Kvm.GET_API_VERSION, 0L);
        if (version < 0) {
            throw new HypervisorException(device + " does not answer KVM_GET_API_VERSION ("
                    + LibC.describe(LibC.errno()) + "): it is not a KVM device");
        }
        if (version != Kvm.API_VERSION) {
            throw new HypervisorException(device + " reports KVM API version " + version + ", jvmm needs "
                    + Kvm.API_VERSION + ": use a newer kernel");
        }
        for (RequiredCap cap : REQUIRED_CAPS) {
            if (checkExtension(cap.id()) <= 0) {
                throw new HypervisorException("this host's KVM lacks " + cap.description()
                        + ", which jvmm needs: use a newer kernel or another hypervisor");
            }
        }
    }

    int fd() {
        return fd;
    }

    /** KVM_CHECK_EXTENSION: 0 when absent, else a capability-specific positive value. */
    int checkExtension(int capability) {
        int result = LibC.ioctl(fd, Kvm.CHECK_EXTENSION, capability);
        return Math.max(result, 0);
    }

    /**
     * The most vCPUs a VM may have: KVM_CAP_MAX_VCPUS (Documentation/virt/kvm/api.rst, KVM_CREATE_VCPU),
     * else the recommended count. More vCPUs than host CPUs is allowed, as QEMU allows it: they share
     * the CPUs (a host with one CPU still runs a 2-vCPU guest, e.g. the nested-KVM L1).
     */
    int maxVcpus() {
        int max = checkExtension(Kvm.CAP_MAX_VCPUS);
        return max > 0 ? max : recommendedVcpus();
    }

    /** KVM_CAP_NR_VCPUS, the host's CPU count as KVM sees it; the API says to assume 4 when absent. */
    int recommendedVcpus() {
        int recommended = checkExtension(Kvm.CAP_NR_VCPUS);
        return recommended > 0 ? recommended : 4;
    }

    int vcpuMmapSize() throws HypervisorException {
        int size = LibC.ioctl(fd, Kvm.GET_VCPU_MMAP_SIZE, 0L);
        if (size <= 0) {
            throw new HypervisorException("KVM_GET_VCPU_MMAP_SIZE failed: " + LibC.describe(LibC.errno()));
        }
        return size;
    }

    int createVm() throws HypervisorException {
        int vmFd = LibC.ioctl(fd, Kvm.CREATE_VM, 0L);
        if (vmFd < 0) {
            throw new HypervisorException("KVM_CREATE_VM failed: " + LibC.describe(LibC.errno())
                    + " (is another hypervisor holding the virtualization extensions?)");
        }
        return vmFd;
    }

    /**
     * What this host's KVM says about its CPUs, the same for every VM of the process: asked once per
     * {@link KvmProvider} and given to each partition, so that a second VM does not ask again.
     *
     * @param supportedCpuid KVM_GET_SUPPORTED_CPUID (immutable)
     * @param msrIndexList KVM_GET_MSR_INDEX_LIST (never modified once made)
     * @param vcpuMmapSize KVM_GET_VCPU_MMAP_SIZE
     */
    record HostCpus(CpuidTable supportedCpuid, int[] msrIndexList, int vcpuMmapSize) {}

    /** Asks for {@link HostCpus}: three ioctls, the CPUID one possibly several times (E2BIG). */
    HostCpus hostCpus() throws HypervisorException {
        return new HostCpus(supportedCpuid(), msrIndexList(), vcpuMmapSize());
    }

    /** KVM_GET_SUPPORTED_CPUID: the CPUID leaves KVM can expose, as a kvm_cpuid2 table. */
    CpuidTable supportedCpuid() throws HypervisorException {
        for (int capacity = 128; capacity <= 4096; capacity *= 2) {
            NativeBuffer buffer = new NativeBuffer(Kvm.CPUID_HEADER + capacity * Kvm.CPUID_ENTRY_SIZE);
            buffer.bytes.putInt(0, capacity);
            if (LibC.ioctl(fd, Kvm.GET_SUPPORTED_CPUID, buffer.memory) == 0) {
                int count = buffer.bytes.getInt(0);
                ByteBuffer entries = ByteBuffer.allocate(count * Kvm.CPUID_ENTRY_SIZE).order(buffer.bytes.order());
                entries.put(0, buffer.bytes, Kvm.CPUID_HEADER, count * Kvm.CPUID_ENTRY_SIZE);
                return new CpuidTable(entries, count);
            }
            int errno = LibC.errno();
            if (errno != LibC.E2BIG) {
                throw new HypervisorException("KVM_GET_SUPPORTED_CPUID failed: " + LibC.describe(errno));
            }
        }
        throw new HypervisorException("KVM_GET_SUPPORTED_CPUID: more than 4096 entries");
    }

    /** KVM_GET_MSR_INDEX_LIST: the MSRs that KVM_GET/SET_MSRS accept. */
    int[] msrIndexList() throws HypervisorException {
        NativeBuffer probe = new NativeBuffer(4);
        if (LibC.ioctl(fd, Kvm.GET_MSR_INDEX_LIST, probe.memory) != 0 && LibC.errno() != LibC.E2BIG) {
            throw new HypervisorException("KVM_GET_MSR_INDEX_LIST failed: " + LibC.describe(LibC.errno()));
        }
        int count = probe.bytes.getInt(0);
        NativeBuffer list = new NativeBuffer(4 + 4 * Math.max(count, 1));
        list.bytes.putInt(0, count);
        if (LibC.ioctl(fd, Kvm.GET_MSR_INDEX_LIST, list.memory) != 0) {
            throw new HypervisorException("KVM_GET_MSR_INDEX_LIST failed: " + LibC.describe(LibC.errno()));
        }
        int[] indices = new int[list.bytes.getInt(0)];
        for (int i = 0; i < indices.length; i++) {
            indices[i] = list.bytes.getInt(4 + 4 * i);
        }
        return indices;
    }

    @Override
    public void close() {
        LibC.close(fd);
    }
}
