package io.jvmm.hv.kvm;

import io.jvmm.api.hv.Availability;
import io.jvmm.api.hv.HypervisorException;
import io.jvmm.api.hv.HypervisorProvider;
import io.jvmm.api.hv.MachineArch;
import io.jvmm.api.hv.Partition;
import io.jvmm.api.hv.PartitionConfig;
import java.util.Set;

/**
 * The {@code kvm} hypervisor: Linux KVM on x86_64 hosts, with the in-kernel PIC, IOAPIC and PIT.
 * Construction touches nothing; {@link #availability()} probes {@code /dev/kvm}.
 */
public final class KvmProvider implements HypervisorProvider {
    private static final Set<String> X86_SUPPLIED = Set.of("generic_pic", "generic_ioapic", "generic_pit");

    /** The host's CPUID, MSR list and vCPU mmap size, asked at the first partition; null before. */
    private KvmSystem.HostCpus hostCpus;

    public KvmProvider() {}

    @Override
    public String name() {
        return "kvm";
    }

    @Override
    public Availability availability() {
        try {
            KvmSystem.open().close();
            return Availability.yes();
        } catch (HypervisorException e) {
            return Availability.no(e.getMessage());
        } catch (LinkageError e) {
            // JNA could not load its native stub or libc on this host
            return Availability.no("the kvm backend cannot call into libc through JNA: " + e.getMessage());
        }
    }

    @Override
    public Set<String> suppliedDevices(MachineArch arch) {
        return arch == MachineArch.X86_64 ? X86_SUPPLIED : Set.of();
    }

    /** On x86 when this host's KVM has KVM_SIGNAL_MSI (probed now; false when KVM is not usable). */
    @Override
    public boolean deliversMessageInterrupts(MachineArch arch) {
        if (arch != MachineArch.X86_64) {
            return false;
        }
        try (KvmSystem system = KvmSystem.open()) {
            return system.checkExtension(Kvm.CAP_SIGNAL_MSI) > 0;
        } catch (HypervisorException | LinkageError e) {
            return false;
        }
    }

    /** This backend sets up x86 boot state, memory layout and the in-kernel PIC/IOAPIC/PIT only. */
    @Override
    public Set<MachineArch> architectures() {
        return Set.of(MachineArch.X86_64);
    }

    /** KVM's recommended vCPU limit; 0 when KVM is not usable here. */
    @Override
    public int maxVcpus() {
        try (KvmSystem system = KvmSystem.open()) {
            return system.maxVcpus();
        } catch (HypervisorException | LinkageError e) {
            return 0;
        }
    }

    /**
     * Links libc through JNA ({@link LibC}'s class initialisation: JNA's own start-up, its native
     * stub, the direct-mapped methods), which is most of this backend's start-up cost (16 ms of a
     * 140 ms {@code jvmm run} on the bench host), without opening {@code /dev/kvm}.
     */
    @Override
    public void warmUp() {
        try {
            LibC.link();
        } catch (LinkageError e) {
            // availability() says why, when it is asked
        }
    }

    @Override
    public Partition createPartition(PartitionConfig config) throws HypervisorException {
        try (KvmSystem system = KvmSystem.open()) {
            return KvmPartition.create(system, hostCpus(system), config);
        }
    }

    /**
     * What /dev/kvm says about the host's CPUs, asked once per provider: a process that creates many
     * partitions (many VMs in one JVM) asks KVM once, not once per VM. Only partition creation waits
     * here, never a running VM.
     */
    private synchronized KvmSystem.HostCpus hostCpus(KvmSystem system) throws HypervisorException {
        if (hostCpus == null) {
            hostCpus = system.hostCpus();
        }
        return hostCpus;
    }
}
