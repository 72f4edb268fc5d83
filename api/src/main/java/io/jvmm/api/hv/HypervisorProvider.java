package io.jvmm.api.hv;

import java.util.Set;

/**
 * The hypervisor SPI. Backends declare {@code provides io.jvmm.api.hv.HypervisorProvider with ...}.
 * Instances are created once and must be cheap to construct: {@link #availability()} does the
 * probing.
 */
public interface HypervisorProvider {
    /** Short name used by {@code --hypervisor}, e.g. {@code kvm}. */
    String name();

    /** Probes the host. Never throws. */
    Availability availability();

    /**
     * The chipset device ids this backend supplies itself for {@code arch}, e.g. KVM's in-kernel
     * {@code generic_pic}, {@code generic_ioapic} and {@code generic_pit}. The runtime does not
     * resolve these through the registry.
     */
    Set<String> suppliedDevices(MachineArch arch);

    /**
     * Whether this backend's partitions for {@code arch} deliver message-signalled interrupts
     * ({@link Partition#messageInterrupts()}). The board is built before the partition, so it asks
     * here to decide whether PCI devices may offer MSI-X. The default: no.
     */
    default boolean deliversMessageInterrupts(MachineArch arch) {
        return false;
    }

    /** The guest architectures this backend can run on this host. */
    default Set<MachineArch> architectures() {
        return Set.of(MachineArch.X86_64);
    }

    /** The most vCPUs one partition may have on this host. */
    int maxVcpus();

    /** Creates a partition with its memory and vCPUs. */
    Partition createPartition(PartitionConfig config) throws HypervisorException;
}
