package io.jvmm.virtio;

/**
 * A virtio device type (virtio 1.2 §5) behind the {@link VirtioPciDevice} transport: its ID,
 * features, queues, configuration space and the work it does when a queue has buffers. The
 * transport calls every method under the device's lock, {@link #process} on the board's device
 * thread (never a vCPU thread).
 */
public interface VirtioDevice {
    /** The virtio device ID (§5): 4 for an entropy source, 2 for a block device, ... */
    int deviceId();

    /** The PCI class code to show (e.g. 0xFF0000, "unclassified"). */
    default int pciClassCode() {
        return 0xFF_0000;
    }

    /**
     * Device-type feature bits the device offers (§2.2, e.g. bits 0..23); the transport adds the
     * transport bits it implements (VIRTIO_F_VERSION_1, VIRTIO_F_RING_INDIRECT_DESC,
     * VIRTIO_F_EVENT_IDX).
     */
    long features();

    /** Number of virtqueues. */
    int queueCount();

    /** The largest size of queue {@code queue}: a power of two, at most 32768. */
    int maxQueueSize(int queue);

    /** Bytes of device configuration space (0: none, and no device config capability). */
    default int configSize() {
        return 0;
    }

    /** Reads device configuration; {@code offset + data.length <= configSize()}. */
    default void readConfig(int offset, byte[] data) {
        java.util.Arrays.fill(data, (byte) 0);
    }

    default void writeConfig(int offset, byte[] data) {}

    /**
     * The driver made buffers available in {@code queue}: pop chains with {@link VirtQueue#next()},
     * return each with {@link VirtQueue#complete}. The device may stop early with chains left: it
     * returns true when it can serve them now and wants to be called again soon (the transport marks
     * the queue again and wakes its poll, so one call stays short and other devices get their turn),
     * false when it is done or waits for something else (then the next notification calls again:
     * with VIRTIO_F_EVENT_IDX the transport asks the driver to notify at its next buffer). A
     * {@link VirtQueueException} puts the device in its error state.
     *
     * @param acked the features the driver accepted
     * @return whether to call again soon for chains left in the queue
     */
    boolean process(VirtQueue queue, long acked) throws VirtQueueException;

    /**
     * Whether the device has work for {@code queue} that no driver notification announced: host
     * input arrived for a receive queue, or a backend freed space for output the device holds. The
     * transport asks on every poll (the device wakes the poll through the board's waker), so this
     * must be cheap.
     */
    default boolean hasWork(int queue) {
        return false;
    }

    /**
     * How many chains the device holds popped from {@code queue} and not returned (a transmit chain
     * the backend could not take yet, a receive chain waiting for input): always the last ones
     * {@link VirtQueue#next()} gave. A saved state puts them back into the ring (its
     * {@code last_avail_idx} is that much smaller), so the restored device pops them again: the
     * device's own {@link #saveState()} must describe it as if it had not popped them (e.g. how
     * much of a held chain already went to the host, so that it is not sent twice). Called only
     * while the device is stopped.
     */
    default int heldChains(int queue) {
        return 0;
    }

    /**
     * The device type's own guest-visible state, beyond what the transport saves (features,
     * status, queues): what its configuration showed the driver that the new run must match, and
     * host-side progress that is not in guest memory. Called only while the device is stopped (no
     * {@link #process} runs). Empty, the default, for a device that keeps nothing else: one that
     * serves every chain it pops before {@code process} returns and holds none.
     */
    default java.util.Optional<io.jvmm.api.device.SavedStateBlob> saveState() {
        return java.util.Optional.empty();
    }

    /**
     * Restores what {@link #saveState()} gave (in this or a newer build's older version), into a
     * device built for the new run (its backend attached, not yet started); the transport restores
     * the queues. Called only while stopped, and only when {@link #saveState()} is not empty.
     *
     * @throws IllegalArgumentException naming the problem (a malformed state, a backend that does
     *     not match it); the device is unchanged then
     */
    default void restoreState(io.jvmm.api.device.SavedStateBlob state) {
        throw new IllegalArgumentException("this device keeps no state of its own, but was given " + state);
    }

    /** The driver reset the device (§2.4): forget every request. */
    default void reset() {}

    /**
     * The VM is gone (its board closes, no call to {@link #process} follows): release host
     * resources — make written data durable, close files, give up locks. The default holds none.
     */
    default void close() throws java.io.IOException {}
}
