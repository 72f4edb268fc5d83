package io.jvmm.testkit;

import io.jvmm.api.device.LineInterrupt;

/**
 * One source on a line, as {@link FakeBoard#newLine} hands it out: it remembers its level and
 * counts level changes and rising edges, so a test can tell a pulse from a level. Safe to set
 * from any thread.
 */
public final class FakeLine implements LineInterrupt {
    private final String lineSet;
    private final String label;
    private final int vector;
    private volatile boolean level;
    private int changes;
    private int risingEdges;

    FakeLine(String lineSet, String label, int vector) {
        this.lineSet = lineSet;
        this.label = label;
        this.vector = vector;
    }

    @Override
    public synchronized void setLevel(boolean high) {
        if (high != level) {
            changes++;
            if (high) {
                risingEdges++;
            }
        }
        level = high;
    }

    @Override
    public boolean level() {
        return level;
    }

    @Override
    public String lineSet() {
        return lineSet;
    }

    @Override
    public int vector() {
        return vector;
    }

    /** The diagnostic label the device gave the line. */
    public String label() {
        return label;
    }

    /** How often the level changed (setting the same level again is no change). */
    public synchronized int changes() {
        return changes;
    }

    /** How often the level went from low to high. */
    public synchronized int risingEdges() {
        return risingEdges;
    }

    @Override
    public String toString() {
        return lineSet + ":" + vector + " '" + label + "' " + (level ? "high" : "low");
    }
}
