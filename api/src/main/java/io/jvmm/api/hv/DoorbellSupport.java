package io.jvmm.api.hv;

/**
 * An optional capability of a {@link Partition} ({@link Partition#doorbells()}): guest MMIO writes
 * that only announce work are absorbed by the hypervisor, which then runs a host callback off the
 * vCPU threads, instead of stopping the vCPU and handing the write to its {@link IoBus} (KVM:
 * {@code KVM_IOEVENTFD} with an eventfd). Writes that do not match a registration still exit as
 * usual, so the board keeps serving them through the bus.
 */
public interface DoorbellSupport {
    /**
     * Makes writes matching {@code doorbell} run {@code ring} on a host thread of the partition
     * (one per partition: keep {@code ring} short and non-blocking). Several writes between two
     * runs give one run; {@link Registration#rings()} counts them all.
     *
     * @throws HypervisorException when the backend refuses (its table is full, the same doorbell is
     *     registered already); the writes then keep exiting to the bus
     */
    Registration register(MmioDoorbell doorbell, Runnable ring) throws HypervisorException;

    /** One registered doorbell. */
    interface Registration extends AutoCloseable {
        MmioDoorbell doorbell();

        /** Guest writes the hypervisor absorbed for this doorbell so far. */
        long rings();

        /** Unregisters: matching writes exit to the bus again. Idempotent. */
        @Override
        void close();
    }
}
