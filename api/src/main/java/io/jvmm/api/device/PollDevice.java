package io.jvmm.api.device;

/**
 * Background work: moving bytes to and from a backend, timers. {@link #poll()} runs on the board's
 * device thread (never a vCPU thread) once when the VM starts running and then whenever the
 * device's {@link DeviceWaker} is woken, never while the VM is stopped.
 */
public interface PollDevice {
    void poll();
}
