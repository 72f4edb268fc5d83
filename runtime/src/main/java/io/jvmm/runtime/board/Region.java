package io.jvmm.runtime.board;

/**
 * A claimed inclusive address range: which device, which of its regions.
 *
 * @param device the manifest name of the owning device
 * @param region the region's name within the device
 * @param start first address
 * @param end last address (inclusive)
 */
public record Region(String device, String region, long start, long end) {
    public Region {
        if (Long.compareUnsigned(start, end) > 0) {
            throw new IllegalArgumentException(device + "/" + region + ": start above end");
        }
    }

    public boolean overlaps(Region other) {
        return Long.compareUnsigned(start, other.end) <= 0 && Long.compareUnsigned(other.start, end) <= 0;
    }

    /** {@code device/region:0xstart-0xend}. */
    @Override
    public String toString() {
        return device + "/" + region + ":0x" + Long.toHexString(start) + "-0x" + Long.toHexString(end);
    }
}
