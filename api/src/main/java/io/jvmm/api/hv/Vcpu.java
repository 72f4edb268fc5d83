package io.jvmm.api.hv;

import io.jvmm.api.device.SavedStateBlob;

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

    /**
     * This vCPU's architectural state: on x86 the general, segment, control and debug registers,
     * FPU/XSAVE and XCRs, the MSRs a guest depends on (TSC, kvmclock, SYSCALL, PAT, ...), the local
     * APIC, pending exceptions/interrupts/NMIs, the MP state and the CPUID the guest was given.
     * Call only while the vCPU is outside {@link #run} (parked by the board), from any thread; an
     * I/O exit the vCPU returned from is complete by then.
     *
     * @throws HypervisorException if the backend cannot read it, naming what failed
     */
    default SavedStateBlob saveState() throws HypervisorException {
        throw new HypervisorException(getClass().getName() + " cannot save a vCPU's state");
    }

    /**
     * Restores what {@link #saveState()} returned, after {@link Partition#restoreState} and before
     * this vCPU first runs. Replaces {@link #setBootState} for a restored VM.
     *
     * @throws IllegalArgumentException naming what is wrong, for a blob of another format or version,
     *     malformed bytes, or CPU features this host cannot give the guest (a configuration error)
     * @throws HypervisorException if the host refused state it should accept
     */
    default void restoreState(SavedStateBlob state) throws HypervisorException {
        throw new HypervisorException(getClass().getName() + " cannot restore a vCPU's state");
    }

    /** Clears a pending kick before the next run. */
    void clearKick();
}
