package io.jvmm.api.device;

/**
 * One device's contribution to a numbered line of a line set. Several devices may share a line
 * (up to 16); the targets see the logical OR of all sharers.
 */
public interface LineInterrupt {
    void setLevel(boolean high);

    /** This source's own level (not the shared line's). */
    boolean level();

    /** The line set this line belongs to, e.g. {@code irq}. */
    String lineSet();

    /** The vector within the line set. */
    int vector();
}
