package io.jvmm.runtime.board;

import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MMIO ranges mapped at run time: PCI BARs where the guest programmed them. Lookup reads one
 * volatile array and scans it (a board has few BARs): no lock, no allocation. Changes (the guest
 * writing a command register or a BAR, a rare path) copy the array under this object's lock, and
 * refuse a range that overlaps a static region or another mapped BAR.
 */
final class BarMappings {
    private static final Logger log = LoggerFactory.getLogger(BarMappings.class);

    /** One mapped BAR: the device's target for region (BAR) {@code bar}. */
    private record Entry(long start, long end, DispatchTarget target, int bar) {}

    private static final Entry[] NONE = new Entry[0];

    private volatile Entry[] entries = NONE;
    private IoRangeMap<DispatchTarget> staticMmio = IoRangeMap.<DispatchTarget>builder("mmio").build();

    /** The board's static MMIO regions, which no BAR may cover. Set once, before the VM runs. */
    synchronized void setStatic(IoRangeMap<DispatchTarget> staticMmio) {
        this.staticMmio = staticMmio;
    }

    /** The mapped BAR holding {@code address}, or null. */
    DispatchTarget find(long address) {
        Entry[] e = entries;
        for (int i = 0; i < e.length; i++) {
            if (Long.compareUnsigned(address, e[i].start) >= 0 && Long.compareUnsigned(address, e[i].end) <= 0) {
                return e[i].target;
            }
        }
        return null;
    }

    /** Maps BAR {@code bar} of {@code device} (its target bound to region {@code bar}, start {@code start}). */
    synchronized boolean map(DispatchTarget device, int bar, long start, long size) {
        long end = start + size - 1;
        Entry[] old = without(device, bar);
        for (int i = 0; i < staticMmio.size(); i++) {
            Region r = staticMmio.region(i);
            if (Long.compareUnsigned(start, r.end()) <= 0 && Long.compareUnsigned(r.start(), end) <= 0) {
                refuse(device, bar, start, end, r.toString());
                entries = old;
                return false;
            }
        }
        for (Entry e : old) {
            if (Long.compareUnsigned(start, e.end) <= 0 && Long.compareUnsigned(e.start, end) <= 0) {
                refuse(device, bar, start, end, e.target.name + " BAR " + e.bar);
                entries = old;
                return false;
            }
        }
        Entry[] next = Arrays.copyOf(old, old.length + 1);
        next[old.length] = new Entry(start, end, device.region(bar, start), bar);
        entries = next;
        log.debug("{}: BAR {} mapped at 0x{}-0x{}", device.name, bar, Long.toHexString(start), Long.toHexString(end));
        return true;
    }

    synchronized void unmap(DispatchTarget device, int bar) {
        entries = without(device, bar);
    }

    private Entry[] without(DispatchTarget device, int bar) {
        Entry[] e = entries;
        int n = 0;
        Entry[] out = new Entry[e.length];
        for (Entry x : e) {
            if (!(x.target.lock == device.lock && x.bar == bar)) {
                out[n++] = x;
            }
        }
        return n == e.length ? e : Arrays.copyOf(out, n);
    }

    private static void refuse(DispatchTarget device, int bar, long start, long end, String other) {
        log.warn("{}: BAR {} programmed at 0x{}-0x{} overlaps {}; it decodes nothing until moved", device.name, bar,
                Long.toHexString(start), Long.toHexString(end), other);
    }
}
