package io.jvmm.runtime.vm;

/** How a run ended. */
public sealed interface VmOutcome {
    /** The guest powered off (or a stop was requested from outside). Exit code 0. */
    record PoweredOff(String how) implements VmOutcome {}

    /** The guest reset and the policy was {@link ResetPolicy#EXIT}. Exit code 0. */
    record ResetExit(String how) implements VmOutcome {}

    /** The VM could not continue. Exit code 1. */
    record Failed(String message) implements VmOutcome {}

    /** The process exit code for this outcome. */
    default int exitCode() {
        return this instanceof Failed ? 1 : 0;
    }
}
