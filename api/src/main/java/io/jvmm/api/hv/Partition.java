package io.jvmm.api.hv;

import io.jvmm.api.device.SavedStateBlob;

import io.jvmm.api.device.LineInterruptTarget;
import io.jvmm.api.device.MessageInterrupts;
import java.util.Optional;

/** A created VM: memory, vCPUs and interrupt injection. Closing releases everything. */
public interface Partition extends AutoCloseable {
    PartitionConfig config();

    GuestMemory memory();

    /** Injects the levels of the board's {@code irq} line set (GSIs on x86). */
    LineInterruptTarget irqLines();

    Vcpu vcpu(int index);

    /**
     * Delivery of message-signalled interrupts into this VM (on x86 through its local APICs), for
     * boards whose provider says {@link HypervisorProvider#deliversMessageInterrupts} for this
     * partition's architecture. Empty when the backend cannot (this default). The sender is
     * thread-safe and allocation-free, as {@link MessageInterrupts} requires.
     */
    default Optional<MessageInterrupts> messageInterrupts() {
        return Optional.empty();
    }

    /**
     * Maps {@code image} as read-only memory at guest address {@code gpa} (firmware). Address and
     * size must be multiples of 4 KiB. A ROM may overlay RAM (the BIOS alias below 1 MiB); that RAM
     * then is no longer guest-visible. Call before the vCPUs first run.
     *
     * @throws HypervisorException if the backend cannot map ROM there, naming the reason
     */
    default void mapRom(long gpa, byte[] image) throws HypervisorException {
        throw new HypervisorException(getClass().getName() + " cannot map firmware ROM");
    }

    /**
     * Doorbells absorbed by the hypervisor (a fast path for device notifications), when the backend
     * has them; empty by default. The same object every call.
     */
    default java.util.Optional<DoorbellSupport> doorbells() {
        return java.util.Optional.empty();
    }

    /**
     * The partition's own state outside its vCPUs and RAM: on x86 KVM the in-kernel PIC, IOAPIC and
     * PIT and the VM clock (kvmclock). Call only while no vCPU runs. The blob's format names the
     * backend, so a snapshot taken with one backend is refused by another.
     *
     * @throws HypervisorException if the backend cannot read it, naming what failed
     */
    default SavedStateBlob saveState() throws HypervisorException {
        throw new HypervisorException(getClass().getName() + " cannot save a partition's state");
    }

    /**
     * Restores what {@link #saveState()} returned, before any vCPU runs.
     *
     * @throws IllegalArgumentException naming what is wrong, for a blob of another format or version,
     *     malformed bytes, or state this host cannot provide (a configuration error)
     * @throws HypervisorException if the host refused state it should accept
     */
    default void restoreState(SavedStateBlob state) throws HypervisorException {
        throw new HypervisorException(getClass().getName() + " cannot restore a partition's state");
    }

    /** Puts the in-kernel chipset (PIC, IOAPIC, PIT) back to its power-on state. */
    void resetChipset() throws HypervisorException;

    @Override
    void close();
}
