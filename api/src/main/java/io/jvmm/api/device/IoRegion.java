package io.jvmm.api.device;

import java.util.Objects;

/**
 * A named address range a device declares: ports (for {@link PortIoIntercept}) or guest-physical
 * addresses (for {@link MmioIntercept}) {@code [start, start + length)}. The board claims every
 * declared region for the device, reports overlaps naming both devices, and hands each access to
 * the device as the index of the region in its declaration and the offset within it.
 *
 * @param name the region's name within its device, used in messages (e.g. {@code registers})
 * @param start the first address (for ports, 0..0xffff)
 * @param length the number of addresses, at least 1; the region may not wrap around 2^64
 */
public record IoRegion(String name, long start, long length) {
    public IoRegion {
        Objects.requireNonNull(name, "name");
        if (length < 1) {
            throw new IllegalArgumentException("region '" + name + "': length must be at least 1, was " + length);
        }
        if (Long.compareUnsigned(start + length - 1, start) < 0) {
            throw new IllegalArgumentException("region '" + name + "' at 0x" + Long.toHexString(start) + ", 0x"
                    + Long.toHexString(length) + " long, wraps around the end of the address space");
        }
    }

    /** The region of the inclusive range {@code [start, end]}. */
    public static IoRegion ofRange(String name, long start, long end) {
        if (Long.compareUnsigned(start, end) > 0) {
            throw new IllegalArgumentException("region '" + name + "': start 0x" + Long.toHexString(start)
                    + " is above end 0x" + Long.toHexString(end));
        }
        return new IoRegion(name, start, end - start + 1);
    }

    /** The last address (inclusive). */
    public long end() {
        return start + length - 1;
    }

    /** {@code name:0xstart-0xend}. */
    @Override
    public String toString() {
        return name + ":0x" + Long.toHexString(start) + "-0x" + Long.toHexString(end());
    }
}
