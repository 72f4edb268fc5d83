package io.jvmm.api.hv;

/**
 * One virtual processor. {@link #run} is called on the vCPU's own platform thread; {@link #kick()}
 * from any other thread.
 */
public interface Vcpu {
    int index();

    /** Loads the register state a loader computed (and architectural defaults for everything else). */
    void setBootState(CpuBootState state) throws HypervisorException;

    /**
     * Runs the guest, sending I/O exits to {@code bus}, until something the board must decide on:
     * a halt, a shutdown, an error, or a {@link #kick()}.
     */
    VcpuExit run(IoBus bus);

    /**
     * Makes a running or about-to-run {@link #run} return {@link VcpuExit.Kicked} soon; no exit in
     * progress is lost. Safe from any thread, any number of times.
     */
    void kick();

    /** Clears a pending kick before the next run. */
    void clearKick();
}
