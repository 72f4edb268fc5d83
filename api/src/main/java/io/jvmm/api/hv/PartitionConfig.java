package io.jvmm.api.hv;

import java.util.Objects;

/**
 * What to create.
 *
 * @param arch guest architecture
 * @param memoryBytes guest RAM size (placed below and, past the MMIO hole, above 4 GiB)
 * @param vcpuCount number of virtual processors, at least 1
 */
public record PartitionConfig(MachineArch arch, long memoryBytes, int vcpuCount) {
    public PartitionConfig {
        Objects.requireNonNull(arch, "arch");
        if (memoryBytes <= 0) {
            throw new IllegalArgumentException("memory size must be positive");
        }
        if (vcpuCount < 1) {
            throw new IllegalArgumentException("vCPU count must be at least 1");
        }
    }
}
