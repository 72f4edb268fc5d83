package io.jvmm.runtime.vm;

/**
 * How a run ended, with its cause in words. {@link #summary()} is the one line a front end
 * reports when the run ends (jvmm prints it on stderr after {@code "jvmm: "}).
 */
public sealed interface VmOutcome {
    /**
     * The guest powered off, or a stop was requested from outside. Exit code 0.
     *
     * @param how the cause: "pm was told to enter S5, soft off (SLP_TYP 0 with SLP_EN)", "jvmm ctl shutdown (control socket)"
     */
    record PoweredOff(String how) implements VmOutcome {}

    /**
     * The guest reset and the policy was {@link ResetPolicy#EXIT}. Exit code 0.
     *
     * @param how the cause: "vCPU 0 triple-faulted at RIP 0xfff0", "i8042 pulsed the reset line (command 0xfe)"
     */
    record ResetExit(String how) implements VmOutcome {}

    /**
     * The run was ended on purpose after saving it: {@code jvmm ctl snapshot PATH --stop}. Exit code 0.
     *
     * @param how what happened: "stopped after snapshot to /var/lib/vm/snap1"
     */
    record Stopped(String how) implements VmOutcome {}

    /** The VM could not continue. Exit code 1. */
    record Failed(String message) implements VmOutcome {}

    /** The process exit code for this outcome. */
    default int exitCode() {
        return this instanceof Failed ? 1 : 0;
    }

    /** One line naming how the run ended and why: "the guest reset: vCPU 0 triple-faulted at RIP 0xfff0". */
    default String summary() {
        if (this instanceof PoweredOff p) {
            return "the guest powered off: " + p.how();
        }
        if (this instanceof Stopped s) {
            return s.how();
        }
        if (this instanceof ResetExit r) {
            return "the guest reset: " + r.how();
        }
        return "the VM failed: " + ((Failed) this).message();
    }
}
