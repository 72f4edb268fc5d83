package io.jvmm.runtime.vm;

/** What a guest reset does: run the guest again, or end the run (exit code 0). */
public enum ResetPolicy {
    RESTART,
    EXIT
}
