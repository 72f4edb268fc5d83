package io.jvmm.api.device;

/** What a device may ask of the VM. */
public enum PowerAction {
    /** Guest power-off: the run ends successfully. */
    POWER_OFF,
    /** Guest reset: devices are reset, memory reloaded, and the guest runs again (or the run ends, by policy). */
    RESET,
    /** Guest hibernate (S4): treated like power-off. */
    HIBERNATE
}
