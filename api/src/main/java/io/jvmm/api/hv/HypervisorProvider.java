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

    /**
     * Loads what this backend will need to run (native libraries, class initialisation) without
     * touching the host's hypervisor device or having any other visible effect. A launcher may call
     * it on a second thread early in start-up (jvmm does while it parses the command line), so that
     * the first {@link #availability()} or {@link #createPartition} does not pay for it on the
     * critical path. It never throws: a failure here is reported by {@link #availability()} later.
     * The default does nothing.
     */
    default void warmUp() {}
}
