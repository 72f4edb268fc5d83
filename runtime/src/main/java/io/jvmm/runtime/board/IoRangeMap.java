package io.jvmm.runtime.board;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * An immutable map from inclusive 64-bit address ranges (compared unsigned) to owners. Lookup is a
 * binary search over primitive arrays: no allocation, no lock, safe from any thread once built.
 *
 * @param <T> the owner type
 */
public final class IoRangeMap<T> {
    // Starts and ends are stored with the sign bit flipped, so a signed compare is an unsigned one.
    private final long[] starts;
    private final long[] ends;
    private final Object[] owners;
    private final Region[] regions;

    private IoRangeMap(List<Region> sortedRegions, List<T> sortedOwners) {
        int n = sortedRegions.size();
        starts = new long[n];
        ends = new long[n];
        owners = sortedOwners.toArray();
        regions = sortedRegions.toArray(new Region[0]);
        for (int i = 0; i < n; i++) {
            starts[i] = sortedRegions.get(i).start() ^ Long.MIN_VALUE;
            ends[i] = sortedRegions.get(i).end() ^ Long.MIN_VALUE;
        }
    }

    /**
     * A builder for the address space {@code space} ({@code pio} or {@code mmio}, used in conflict
     * messages).
     */
    public static <T> Builder<T> builder(String space) {
        return new Builder<>(space);
    }

    /** The index of the range containing {@code address}, or -1. */
    public int indexOf(long address) {
        long key = address ^ Long.MIN_VALUE;
        int lo = 0;
        int hi = starts.length - 1;
        // Find the last range whose start is <= key.
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (starts[mid] <= key) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found >= 0 && key <= ends[found] ? found : -1;
    }

    /** The owner of {@code address}, or null when it is unclaimed. */
    @SuppressWarnings("unchecked")
    public T find(long address) {
        int i = indexOf(address);
        return i < 0 ? null : (T) owners[i];
    }

    /** The number of ranges. */
    public int size() {
        return owners.length;
    }

    @SuppressWarnings("unchecked")
    public T owner(int index) {
        return (T) owners[index];
    }

    public Region region(int index) {
        return regions[index];
    }

    /** Every range, sorted by start address. */
    public List<Region> regions() {
        return List.of(regions);
    }

    /**
     * Collects claims in order. A claim overlapping an earlier accepted one is not mapped and is
     * recorded as a conflict naming both sides; {@link #conflicts()} lists them all.
     */
    public static final class Builder<T> {
        private final String space;
        private final List<Region> regions = new ArrayList<>();
        private final List<T> owners = new ArrayList<>();
        private final List<String> conflicts = new ArrayList<>();

        private Builder(String space) {
            this.space = Objects.requireNonNull(space);
        }

        /** Adds {@code region} for {@code owner}; returns false (and records why) on a conflict. */
        public boolean add(Region region, T owner) {
            Objects.requireNonNull(region, "region");
            Objects.requireNonNull(owner, "owner");
            boolean ok = true;
            for (Region existing : regions) {
                if (region.overlaps(existing)) {
                    conflicts.add("static " + space + " intercept region conflict: " + region
                            + " conflicts with existing " + existing);
                    ok = false;
                }
            }
            if (ok) {
                regions.add(region);
                owners.add(owner);
            }
            return ok;
        }

        /** Every conflict found so far, in claim order. */
        public List<String> conflicts() {
            return List.copyOf(conflicts);
        }

        public IoRangeMap<T> build() {
            Integer[] order = new Integer[regions.size()];
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
            Arrays.sort(order, Comparator.comparing(i -> regions.get(i).start(), Long::compareUnsigned));
            List<Region> r = new ArrayList<>();
            List<T> o = new ArrayList<>();
            for (int i : order) {
                r.add(regions.get(i));
                o.add(owners.get(i));
            }
            return new IoRangeMap<>(r, o);
        }
    }
}
