package io.jvmm.api.device;

/** Receives line levels: an interrupt controller, or the PM device's GPE0 block. */
public interface LineInterruptTarget {
    /** The line {@code vector} (in the target's numbering) is now {@code high} or low. */
    void setIrq(int vector, boolean high);
}
