package io.jvmm.api.hv;

/** Why {@link Vcpu#run} returned. */
public sealed interface VcpuExit {
    /** Another thread asked (pause, stop, reset). */
    record Kicked() implements VcpuExit {}

    /** The guest executed HLT with nothing to wake it (only reported when the backend cannot wait in-kernel). */
    record Halted(long rip) implements VcpuExit {}

    /** The guest triple-faulted (x86) or asked for a reset: treat as a reset request. */
    record Shutdown(long rip) implements VcpuExit {}

    /** The guest asked the platform to power off or reset (e.g. PSCI). */
    record SystemEvent(boolean reset, long rip) implements VcpuExit {}

    /**
     * The VM cannot continue: entry failure, internal error, emulation failure.
     *
     * @param reason what happened, for the user
     * @param rip the guest instruction pointer
     * @param instructionBytes the bytes at RIP when known (emulation failures), else empty
     */
    record Failed(String reason, long rip, byte[] instructionBytes) implements VcpuExit {
        public Failed {
            instructionBytes = instructionBytes.clone();
        }
    }
}
