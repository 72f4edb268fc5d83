package io.jvmm.runtime.loader;

import io.jvmm.api.hv.HypervisorException;

/**
 * Maps read-only memory outside guest RAM (the firmware ROM just below 4 GiB lies in the 32-bit MMIO
 * hole). The runtime backs this with the hypervisor partition, e.g. a read-only KVM memory slot.
 */
@FunctionalInterface
public interface RomMapper {
    /**
     * Makes {@code bytes} readable by the guest at {@code gpa}. Loaders pass a page-aligned
     * {@code gpa} and a length that is a multiple of 4 KiB, so a hypervisor can map it directly.
     */
    void mapRom(long gpa, byte[] bytes) throws HypervisorException;
}
