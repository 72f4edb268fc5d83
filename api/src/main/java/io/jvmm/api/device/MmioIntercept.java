package io.jvmm.api.device;

/**
 * MMIO accesses to the regions a device claimed. {@code address} is the absolute guest physical
 * address; {@code data.length} is the access size (1, 2, 4 or 8), little-endian.
 */
public interface MmioIntercept {
    IoResult mmioRead(long address, byte[] data);

    IoResult mmioWrite(long address, byte[] data);
}
