package io.jvmm.runtime.board;

import io.jvmm.api.device.LineInterrupt;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One line of a line set: a bitmask with one bit per source, so concurrent level changes from
 * several devices never lose an update. The targets see the OR, i.e. whether the mask is non-zero.
 */
final class SharedLine {
    final LineSet set;
    final int vector;
    private final AtomicInteger mask = new AtomicInteger();
    /** Source labels, guarded by the line set's monitor. */
    private final List<String> labels = new ArrayList<>();
    /** The level last sent to the targets; guarded by {@code this}. */
    private boolean delivered;

    SharedLine(LineSet set, int vector) {
        this.set = set;
        this.vector = vector;
    }

    /** Called holding the line set's monitor. */
    LineInterrupt addSource(String label) {
        if (labels.size() >= LineSet.MAX_SOURCES) {
            throw new IllegalStateException("line " + set.name() + "/" + vector + " already has "
                    + LineSet.MAX_SOURCES + " sources (" + String.join(", ", labels) + "); cannot add '" + label
                    + "': at most " + LineSet.MAX_SOURCES + " devices can share one line, move one to another line");
        }
        int bit = 1 << labels.size();
        labels.add(label);
        return new Source(bit, label);
    }

    synchronized boolean isHigh() {
        return delivered;
    }

    private void update(int bit, boolean high) {
        int old;
        int next;
        do {
            old = mask.get();
            next = high ? old | bit : old & ~bit;
            if (old == next) {
                return;
            }
        } while (!mask.compareAndSet(old, next));
        if ((old != 0) != (next != 0)) {
            forward();
        }
    }

    /**
     * Delivers the current OR if it differs from what the targets last got. Whichever thread gets
     * here last reads the final mask, so targets always end at the true level.
     */
    private synchronized void forward() {
        boolean now = mask.get() != 0;
        if (now != delivered) {
            delivered = now;
            set.deliver(vector, now);
        }
    }

    /** For a target added late: tell it the line is high, if it is. */
    synchronized void deliverCurrentTo(LineSet.TargetMapping mapping) {
        if (delivered) {
            set.deliverTo(mapping, vector, true);
        }
    }

    /** One device's contribution to the line. */
    private final class Source implements LineInterrupt {
        private final int bit;
        private final String label;

        Source(int bit, String label) {
            this.bit = bit;
            this.label = label;
        }

        @Override
        public void setLevel(boolean high) {
            update(bit, high);
        }

        @Override
        public boolean level() {
            return (mask.get() & bit) != 0;
        }

        @Override
        public String lineSet() {
            return set.name();
        }

        @Override
        public int vector() {
            return vector;
        }

        @Override
        public String toString() {
            return set.name() + "/" + vector + " (" + label + ")";
        }
    }
}
