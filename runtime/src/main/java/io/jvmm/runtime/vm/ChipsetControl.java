package io.jvmm.runtime.vm;

/** Start, stop and reset of every device of a board, in order. */
public interface ChipsetControl {
    /** Devices start; polls begin. */
    void start();

    /** Devices stop; no poll runs after this returns. */
    void stop();

    /** Devices go back to their power-on state; only called while stopped. */
    void reset();
}
