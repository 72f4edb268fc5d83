package io.jvmm.api.device;

/** State changes. {@link #reset()} is only called while the device is stopped. */
public interface DeviceLifecycle {
    default void start() {}

    /** After this returns the device does no more work and its state is stable (savable). */
    default void stop() {}

    /** Back to the power-on state. */
    void reset();

    /**
     * The VM is gone: release what the device holds on the host (make written data durable, close
     * files, give up locks). Called once, last, after {@link #stop()} (also when building the board
     * failed after this device was built); no other call follows. The default holds nothing.
     */
    default void close() {}
}
