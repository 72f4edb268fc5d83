package io.jvmm.api.hv;

import io.jvmm.api.device.LineInterruptTarget;

/** A created VM: memory, vCPUs and interrupt injection. Closing releases everything. */
public interface Partition extends AutoCloseable {
    PartitionConfig config();

    GuestMemory memory();

    /** Injects the levels of the board's {@code irq} line set (GSIs on x86). */
    LineInterruptTarget irqLines();

    Vcpu vcpu(int index);

    /** Puts the in-kernel chipset (PIC, IOAPIC, PIT) back to its power-on state. */
    void resetChipset() throws HypervisorException;

    @Override
    void close();
}
