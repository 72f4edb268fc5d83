package io.jvmm.runtime.board;

import java.util.List;

/**
 * The port space: a 65536-entry table from port to range index, so a lookup is one array load.
 * Immutable; no allocation and no lock on lookup.
 *
 * @param <T> the owner type
 */
public final class PioRangeMap<T> {
    /** Range index + 1 per port; 0 means unclaimed. A char holds 0..65535, enough for any port map. */
    private final char[] table = new char[0x10000];
    private final IoRangeMap<T> ranges;

    public PioRangeMap(IoRangeMap<T> ranges) {
        if (ranges.size() >= 0xFFFF) {
            throw new IllegalArgumentException("too many port ranges: " + ranges.size());
        }
        for (int i = 0; i < ranges.size(); i++) {
            Region r = ranges.region(i);
            if (r.start() < 0 || r.end() > 0xFFFF) {
                throw new IllegalArgumentException("port range " + r + " is outside 0x0-0xffff");
            }
            for (int p = (int) r.start(); p <= (int) r.end(); p++) {
                table[p] = (char) (i + 1);
            }
        }
        this.ranges = ranges;
    }

    /** The owner of {@code port} (taken modulo 0x10000), or null. */
    public T find(int port) {
        int i = table[port & 0xFFFF];
        return i == 0 ? null : ranges.owner(i - 1);
    }

    /** The region containing {@code port}, or null. */
    public Region regionAt(int port) {
        int i = table[port & 0xFFFF];
        return i == 0 ? null : ranges.region(i - 1);
    }

    public List<Region> regions() {
        return ranges.regions();
    }
}
