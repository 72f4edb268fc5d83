package io.jvmm.virtio;

import io.jvmm.api.support.StateFormat;

/**
 * One split virtqueue's saved state (virtio 1.2 §2.7, §4.1.4.3): what the driver wrote into the
 * common configuration for it and where the device is in its rings. The compact constructor holds
 * the rules a queue's state keeps whatever wrote it (a saved state is as hostile as the guest):
 * 16-bit fields in range, and for an enabled queue what {@code queue_enable} checks (a size that is
 * a power of two, the rings' alignment) and at most a queue's worth of chains with the device. The
 * queue's own limits (its maximum size, rings in RAM) are checked by {@link VirtQueue#check}.
 *
 * @param size queue_size as the driver wrote it (any 16-bit value while disabled)
 * @param enabled queue_enable
 * @param desc queue_desc, the descriptor table's address
 * @param driver queue_driver, the driver ("available") ring's address
 * @param device queue_device, the device ("used") ring's address
 * @param indirect whether VIRTIO_F_RING_INDIRECT_DESC was negotiated when it was enabled
 * @param eventIdx whether VIRTIO_F_EVENT_IDX was
 * @param lastAvail the device's next index into the driver ring ({@code last_avail_idx}), with the
 *     chains the device held put back (the restored device pops them again)
 * @param armedAtEmpty the device last found the ring empty and asked to be notified at {@code lastAvail}
 * @param usedIdx the used index the device published
 * @param unpublishedUsed used elements written after it and not yet published
 * @param signalledUsed the used index at the last interrupt decision
 * @param vector queue_msix_vector (0xFFFF: none)
 */
record QueueState(int size, boolean enabled, long desc, long driver, long device, boolean indirect, boolean eventIdx,
        int lastAvail, boolean armedAtEmpty, int usedIdx, int unpublishedUsed, int signalledUsed, int vector) {

    QueueState {
        u16("size", size);
        u16("lastAvail", lastAvail);
        u16("usedIdx", usedIdx);
        u16("signalledUsed", signalledUsed);
        u16("vector", vector);
        if (enabled) {
            if (size == 0 || Integer.bitCount(size) != 1) {
                throw new IllegalArgumentException("an enabled queue's size " + size + " is not a power of two");
            }
            if ((desc & 15) != 0 || (driver & 1) != 0 || (device & 3) != 0) {
                throw new IllegalArgumentException("an enabled queue's rings are misaligned");
            }
            if (unpublishedUsed < 0 || unpublishedUsed > size) {
                throw new IllegalArgumentException(unpublishedUsed + " unpublished used elements in a queue of " + size);
            }
            int withDevice = (lastAvail - usedIdx - unpublishedUsed) & 0xFFFF;
            if (withDevice > size) {
                throw new IllegalArgumentException("last_avail_idx " + lastAvail + " is " + withDevice
                        + " chains ahead of the used index " + usedIdx + ", more than the queue's " + size);
            }
        } else if (unpublishedUsed != 0) {
            throw new IllegalArgumentException("a disabled queue has no used elements");
        }
    }

    private static void u16(String name, int value) {
        if (value < 0 || value > 0xFFFF) {
            throw new IllegalArgumentException(name + " " + value + " is not a 16-bit value");
        }
    }

    /** After a device reset: size reads the maximum (§4.1.4.3.2), nothing enabled, no vector. */
    static QueueState initial(int maxSize) {
        return new QueueState(maxSize, false, 0, 0, 0, false, false, 0, false, 0, 0, 0, VirtioPciDevice.NO_VECTOR);
    }

    static final StateFormat.Encoder<QueueState> ENCODER = (q, out) -> out
            .u16("size", q.size()).bool("enabled", q.enabled())
            .i64("desc", q.desc()).i64("driver", q.driver()).i64("device", q.device())
            .bool("indirect", q.indirect()).bool("eventIdx", q.eventIdx())
            .u16("lastAvail", q.lastAvail()).bool("armedAtEmpty", q.armedAtEmpty())
            .u16("usedIdx", q.usedIdx()).u16("unpublishedUsed", q.unpublishedUsed())
            .u16("signalledUsed", q.signalledUsed()).u16("vector", q.vector());

    static final StateFormat.Decoder<QueueState> DECODER = in -> new QueueState(in.u16("size"), in.bool("enabled"),
            in.i64("desc"), in.i64("driver"), in.i64("device"), in.bool("indirect"), in.bool("eventIdx"),
            in.u16("lastAvail"), in.bool("armedAtEmpty"), in.u16("usedIdx"), in.u16("unpublishedUsed"),
            in.u16("signalledUsed"), in.u16("vector"));
}
