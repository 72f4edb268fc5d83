package io.jvmm.api.device;

/** State changes. {@link #reset()} is only called while the device is stopped. */
public interface DeviceLifecycle {
    default void start() {}

    /** After this returns the device does no more work and its state is stable (savable). */
    default void stop() {}

    /** Back to the power-on state. */
    void reset();
}
