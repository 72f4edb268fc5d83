package io.jvmm.api.device;

import java.util.List;

/**
 * Port I/O. The device declares its port regions once ({@link #pioRegions()}); the board claims them
 * and sends each access to the region holding its first port, as {@code region} (the index in
 * {@link #pioRegions()}) and {@code offset} (the first port minus the region's start), so the device
 * never computes offsets from its own base. A multi-byte access is dispatched by its first port
 * alone: a 4-byte access at offset {@code length - 1} reaches this device with that offset.
 *
 * <p>{@code data.length} is the access size (1, 2 or 4); multi-byte values are little-endian (see
 * {@link IoData}). Implementations must not allocate on this path.
 *
 * <p>Regions are static: the list is read once, when the board is built. (Regions mapped and
 * unmapped at run time, such as PCI BARs, will be a separate board service that hands out a region
 * handle; accesses to them will arrive through these same methods.)
 */
public interface PortIoIntercept {
    /** The port regions, in a fixed order; read once when the board is built. */
    List<IoRegion> pioRegions();

    /** Fills {@code data} with the value read. On an error result the bus fills it with all-ones. */
    IoResult ioRead(int region, int offset, byte[] data);

    IoResult ioWrite(int region, int offset, byte[] data);
}
