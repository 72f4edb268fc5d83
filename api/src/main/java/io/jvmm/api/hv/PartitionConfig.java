package io.jvmm.api.hv;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * What to create.
 *
 * @param arch guest architecture
 * @param memoryBytes guest RAM size (placed below and, past the MMIO hole, above 4 GiB)
 * @param vcpuCount number of virtual processors, at least 1
 * @param memoryImage null for zeroed RAM; otherwise a file of exactly {@code memoryBytes} bytes in
 *     the layout {@link GuestMemory#saveImage} writes, which becomes the initial content of RAM. The
 *     backend maps it copy-on-write where it can (Firecracker's {@code MAP_PRIVATE} restore), so
 *     pages are read from the file only when first touched and the file itself is never written.
 */
public record PartitionConfig(MachineArch arch, long memoryBytes, int vcpuCount, Path memoryImage) {
    public PartitionConfig {
        Objects.requireNonNull(arch, "arch");
        if (memoryBytes <= 0) {
            throw new IllegalArgumentException("memory size must be positive");
        }
        if (vcpuCount < 1) {
            throw new IllegalArgumentException("vCPU count must be at least 1");
        }
    }

    /** A partition with zeroed RAM. */
    public PartitionConfig(MachineArch arch, long memoryBytes, int vcpuCount) {
        this(arch, memoryBytes, vcpuCount, null);
    }

    /** This configuration with RAM initialised from {@code image} (see {@link #memoryImage()}). */
    public PartitionConfig withMemoryImage(Path image) {
        return new PartitionConfig(arch, memoryBytes, vcpuCount, Objects.requireNonNull(image, "image"));
    }

    /** {@link #memoryImage()} as an optional. */
    public Optional<Path> initialMemory() {
        return Optional.ofNullable(memoryImage);
    }
}
