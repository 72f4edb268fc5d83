package io.jvmm.api.device;

/**
 * Port I/O accesses to the regions a device claimed. {@code port} is absolute; the device
 * computes its own offsets. {@code data.length} is the access size (1, 2 or 4); multi-byte values
 * are little-endian (see {@link IoData}). Implementations must not allocate on this path.
 */
public interface PortIoIntercept {
    /** Fills {@code data} with the value read. On an error result the bus fills it with all-ones. */
    IoResult ioRead(int port, byte[] data);

    IoResult ioWrite(int port, byte[] data);
}
