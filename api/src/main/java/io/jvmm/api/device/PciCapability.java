package io.jvmm.api.device;

/**
 * One entry of a PCI function's capability list (PCI Local Bus 3.0 §6.7). The bus places the
 * entries from offset 0x40 on, each at a dword boundary, and links them: it answers the entry's
 * first two bytes (ID and next pointer) itself, and hands every other byte to
 * {@link PciFunction#capabilityRead}/{@link PciFunction#capabilityWrite} as (the entry's index in
 * {@link PciFunctionInfo#capabilities()}, the offset within the entry).
 *
 * @param id the capability ID, e.g. 0x09 (vendor specific) or 0x11 (MSI-X)
 * @param length the entry's length in bytes including the two header bytes, 2..192
 */
public record PciCapability(int id, int length) {
    public PciCapability {
        if (id < 0 || id > 0xFF) {
            throw new IllegalArgumentException("capability ID must be 0..0xff, was " + id);
        }
        if (length < 2 || length > 192) {
            throw new IllegalArgumentException("capability length must be 2..192, was " + length);
        }
    }
}
