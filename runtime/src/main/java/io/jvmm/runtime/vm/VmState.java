package io.jvmm.runtime.vm;

/** The life cycle of a VM, after alioth's board. */
public enum VmState {
    /** Built, not yet started. */
    CREATED,
    /**
     * {@link VirtualMachine#run()} was called: the payload is being loaded and the devices and vCPU
     * threads started. A second {@code run()} is refused from here on.
     */
    STARTING,
    RUNNING,
    PAUSED,
    /** vCPUs are being stopped so that devices can be reset and memory reloaded. */
    RESET_PENDING,
    /** The run is over. */
    SHUT_DOWN
}
