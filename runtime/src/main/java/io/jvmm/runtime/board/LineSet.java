package io.jvmm.runtime.board;

import io.jvmm.api.device.LineInterrupt;
import io.jvmm.api.device.LineInterruptTarget;
import io.jvmm.api.support.LogRateLimiter;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A numbered space of shared lines and the targets they are routed to.
 *
 * <p>Each line has up to {@link #MAX_SOURCES} sources; its level is the OR of theirs. Targets map
 * a source range onto their own numbering ({@code vector - firstSource + firstTarget}); a line may
 * reach several targets, and a target added late at once sees the lines that are already high.
 *
 * <p>Locking: a level change of the OR is delivered holding the line's monitor (so concurrent
 * changes are delivered in the order they took effect and the target ends up with the final
 * level), and each target's {@code setIrq} is called holding that target device's lock. Hence
 * line routing must not form a cycle of devices that raise lines while holding their own lock.
 */
public final class LineSet {
    /** How many sources may share one line. */
    public static final int MAX_SOURCES = 16;

    private static final Logger log = LoggerFactory.getLogger(LineSet.class);

    private final String name;
    private final ConcurrentHashMap<Integer, SharedLine> lines = new ConcurrentHashMap<>();
    /** Copy-on-write, replaced under {@code this}; read without locks on delivery. */
    private volatile TargetMapping[] targets = new TargetMapping[0];
    private final LogRateLimiter deliveryLog = new LogRateLimiter(10);

    LineSet(String name) {
        this.name = name;
    }

    public String name() {
        return name;
    }

    /**
     * A new source on line {@code vector}, labelled for diagnostics.
     *
     * @throws IllegalStateException when the line already has {@value #MAX_SOURCES} sources
     */
    public synchronized LineInterrupt newLine(String label, int vector) {
        Objects.requireNonNull(label, "label");
        if (vector < 0) {
            throw new IllegalArgumentException("line " + name + "/" + vector + ": vector must not be negative");
        }
        SharedLine line = lines.computeIfAbsent(vector, v -> new SharedLine(this, v));
        return line.addSource(label);
    }

    /**
     * Routes lines {@code [firstSource, lastSource]} to {@code target} as vectors from
     * {@code firstTarget}; lines already high are delivered at once. {@code lock} (the target
     * device's lock, or null) is held around every {@code setIrq}.
     */
    public synchronized void addTarget(int firstSource, int lastSource, int firstTarget, LineInterruptTarget target,
            Object lock) {
        Objects.requireNonNull(target, "target");
        if (firstSource < 0 || lastSource < firstSource || firstTarget < 0) {
            throw new IllegalArgumentException("line set " + name + ": bad target mapping " + firstSource + ".."
                    + lastSource + " -> " + firstTarget + " (need 0 <= first <= last and a non-negative target)");
        }
        TargetMapping mapping = new TargetMapping(firstSource, lastSource, firstTarget, target, lock);
        TargetMapping[] next = Arrays.copyOf(targets, targets.length + 1);
        next[next.length - 1] = mapping;
        targets = next;
        for (SharedLine line : lines.values()) {
            if (mapping.covers(line.vector)) {
                line.deliverCurrentTo(mapping);
            }
        }
    }

    /** The OR level of line {@code vector} as last delivered (false for a line without sources). */
    public boolean isHigh(int vector) {
        SharedLine line = lines.get(vector);
        return line != null && line.isHigh();
    }

    /** Sends a level change of line {@code vector} to every target covering it. Called holding the line's monitor. */
    void deliver(int vector, boolean high) {
        TargetMapping[] ts = targets;
        boolean delivered = false;
        for (TargetMapping t : ts) {
            if (t.covers(vector)) {
                delivered = true;
                deliverTo(t, vector, high);
            }
        }
        if (!delivered && high) {
            long s = deliveryLog.tryAcquire();
            if (s != LogRateLimiter.SUPPRESSED) {
                log.warn("line {}/{} asserted but no target receives it{}", name, vector,
                        LogRateLimiter.suppressedNote(s));
            }
        }
    }

    void deliverTo(TargetMapping t, int vector, boolean high) {
        int targetVector = vector - t.firstSource + t.firstTarget;
        try {
            if (t.lock == null) {
                t.target.setIrq(targetVector, high);
            } else {
                synchronized (t.lock) {
                    t.target.setIrq(targetVector, high);
                }
            }
        } catch (RuntimeException e) {
            long s = deliveryLog.tryAcquire();
            if (s != LogRateLimiter.SUPPRESSED) {
                log.warn("line {}/{}: target threw while setting vector {} {}{}", name, vector, targetVector,
                        high ? "high" : "low", LogRateLimiter.suppressedNote(s), e);
            }
        }
    }

    /** One target's view of a source range. */
    static final class TargetMapping {
        final int firstSource;
        final int lastSource;
        final int firstTarget;
        final LineInterruptTarget target;
        final Object lock;

        TargetMapping(int firstSource, int lastSource, int firstTarget, LineInterruptTarget target, Object lock) {
            this.firstSource = firstSource;
            this.lastSource = lastSource;
            this.firstTarget = firstTarget;
            this.target = target;
            this.lock = lock;
        }

        boolean covers(int vector) {
            return vector >= firstSource && vector <= lastSource;
        }
    }
}
