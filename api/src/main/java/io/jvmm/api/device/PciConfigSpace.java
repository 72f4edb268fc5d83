package io.jvmm.api.device;

/**
 * One PCI function's 256-byte configuration space, as a PCI bus reaches it.
 *
 * <p>{@code offset} is in {@code [0, 256)} and aligned to {@code data.length} (1, 2 or 4); the bus
 * checks both before calling. Values are little-endian (see {@link IoData}). Absent registers read
 * 0 and ignore writes; read-only fields ignore writes. Must not allocate.
 */
public interface PciConfigSpace {
    /** Where this function asks to be placed. */
    PciAddress address();

    IoResult pciConfigRead(int offset, byte[] data);

    IoResult pciConfigWrite(int offset, byte[] data);
}
