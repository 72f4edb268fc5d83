package io.jvmm.api.device;

import java.util.Objects;

/**
 * One base address register of a PCI function: the guest sizes it (writes all-ones, reads the size
 * mask back), programs an address, and once it enables memory decoding in the command register
 * the board maps {@code [address, address + size)} and hands each access to
 * {@link PciFunction#barRead}/{@link PciFunction#barWrite} as (this BAR's {@link #index}, offset).
 *
 * @param index the register, 0..5 (0..4 for a 64-bit BAR, which also takes {@code index + 1})
 * @param kind 32- or 64-bit memory
 * @param size a power of two, at least 16 bytes (§6.2.5.1; 4 KiB or more keeps the BAR in a page of
 *     its own), at most 2 GiB for a 32-bit BAR
 * @param prefetchable the prefetchable bit (reads have no side effects)
 */
public record PciBar(int index, PciBarKind kind, long size, boolean prefetchable) {
    public PciBar {
        Objects.requireNonNull(kind, "kind");
        int last = kind == PciBarKind.MMIO64 ? 4 : 5;
        if (index < 0 || index > last) {
            throw new IllegalArgumentException("a " + kind + " BAR's index must be 0.." + last + ", was " + index);
        }
        if (size < 16 || Long.bitCount(size) != 1) {
            throw new IllegalArgumentException("BAR " + index + ": size must be a power of two >= 16, was " + size);
        }
        if (kind == PciBarKind.MMIO32 && size > (1L << 31)) {
            throw new IllegalArgumentException("BAR " + index + ": a 32-bit BAR is at most 2 GiB, was " + size);
        }
    }

    /** How many of the six registers it takes: 1, or 2 for a 64-bit BAR. */
    public int registers() {
        return kind == PciBarKind.MMIO64 ? 2 : 1;
    }
}
