package io.jvmm.api.device;

import java.util.List;

/**
 * Memory-mapped I/O, the same way as {@link PortIoIntercept}: the device declares its regions once
 * ({@link #mmioRegions()}), and each access arrives as the index of the region holding its first
 * address and the offset within it. {@code data.length} is the access size (1, 2, 4 or 8),
 * little-endian. Implementations must not allocate on this path.
 */
public interface MmioIntercept {
    /** The MMIO regions, in a fixed order; read once when the board is built. */
    List<IoRegion> mmioRegions();

    IoResult mmioRead(int region, long offset, byte[] data);

    IoResult mmioWrite(int region, long offset, byte[] data);
}
