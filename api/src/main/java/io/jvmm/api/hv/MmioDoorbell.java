package io.jvmm.api.hv;

import java.util.Objects;
import java.util.OptionalLong;

/**
 * Which guest MMIO writes ring one doorbell (see {@link DoorbellSupport}): writes of exactly
 * {@code width} bytes to {@code address}, and when {@code value} is present only those writing it.
 *
 * @param address the guest-physical address
 * @param width 1, 2, 4 or 8
 * @param value the value a write must carry (its low {@code width} bytes), or empty for any
 */
public record MmioDoorbell(long address, int width, OptionalLong value) {
    public MmioDoorbell {
        Objects.requireNonNull(value, "value");
        if (width != 1 && width != 2 && width != 4 && width != 8) {
            throw new IllegalArgumentException("a doorbell is 1, 2, 4 or 8 bytes wide, was " + width);
        }
        if (Long.compareUnsigned(address + width - 1, address) < 0) {
            throw new IllegalArgumentException("a doorbell at 0x" + Long.toHexString(address) + " wraps around");
        }
    }

    @Override
    public String toString() {
        return width + "-byte write at 0x" + Long.toHexString(address)
                + (value.isPresent() ? " of 0x" + Long.toHexString(value.getAsLong()) : "");
    }
}
