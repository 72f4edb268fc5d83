package io.jvmm.api.hv;

/** The hypervisor failed; the message says which operation, the OS error and what to check. */
public class HypervisorException extends Exception {
    public HypervisorException(String message) {
        super(message);
    }

    public HypervisorException(String message, Throwable cause) {
        super(message, cause);
    }
}
