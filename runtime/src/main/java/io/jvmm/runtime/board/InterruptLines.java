package io.jvmm.runtime.board;

import io.jvmm.api.device.LineInterrupt;
import io.jvmm.api.device.LineInterruptTarget;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/** The board's line sets ({@code irq}, {@code gpe0}, {@code bsp_lint}, or any other name), created on first use. */
public final class InterruptLines {
    private final ConcurrentHashMap<String, LineSet> sets = new ConcurrentHashMap<>();

    /** No line sets yet; they appear on first use. */
    public InterruptLines() {}

    /** The line set called {@code name}, created if it does not exist yet. */
    public LineSet lineSet(String name) {
        Objects.requireNonNull(name, "line set name");
        if (name.isBlank()) {
            throw new IllegalArgumentException("line set name must not be blank");
        }
        return sets.computeIfAbsent(name, LineSet::new);
    }

    /** A new source on line {@code vector} of {@code lineSet}. See {@link LineSet#newLine}. */
    public LineInterrupt newLine(String lineSet, String label, int vector) {
        return lineSet(lineSet).newLine(label, vector);
    }

    /** See {@link LineSet#addTarget}. {@code lock} may be null for a target that needs none. */
    public void addTarget(String lineSet, int firstSource, int lastSource, int firstTarget,
            LineInterruptTarget target, Object lock) {
        lineSet(lineSet).addTarget(firstSource, lastSource, firstTarget, target, lock);
    }
}
