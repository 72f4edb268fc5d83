package io.jvmm.virtio;

import io.jvmm.api.device.DmaMemory;
import io.jvmm.api.device.GuestMemoryException;
import java.lang.invoke.VarHandle;

/**
 * The device side of one split virtqueue (virtio 1.2 §2.7): the descriptor table, the driver
 * ("available") ring and the device ("used") ring in guest memory. Everything read from the guest is
 * checked: a head or next index beyond the queue, a chain longer than the queue (a loop), a nested
 * or chained indirect table, a readable buffer after a writable one, a buffer outside RAM, or an
 * available index that runs more than the queue size ahead all throw a {@link VirtQueueException}.
 * Reads and writes of ring fields allocate nothing. Not thread-safe: the transport calls it under
 * the device's lock.
 *
 * <p><b>Notification suppression.</b> With VIRTIO_F_EVENT_IDX (§2.7.7.2, §2.7.10) the device ring
 * ends with {@code avail_event} and the driver ring with {@code used_event}. The queue writes
 * {@code avail_event} only when the device runs out of work: {@link #next()} finding the ring empty
 * asks for a notification at the next buffer, and the transport re-arms it when a device stops with
 * buffers left; while the device is busy the driver's test ({@code vring_need_event}) fails and it
 * does not notify. {@link #needsInterrupt()} interrupts the driver only when the used index crossed
 * {@code used_event}. Without the feature it honours VIRTQ_AVAIL_F_NO_INTERRUPT (§2.7.7.1) instead.
 *
 * <p><b>Ordering.</b> Both sides follow the same store-fence-load pattern (Dekker's): the driver
 * stores its ring index (or {@code used_event}), issues a full barrier, then loads the device's
 * event field (or the used index); the device here stores {@code avail_event} (or the used index),
 * issues {@link VarHandle#fullFence()}, then loads the driver's index (or {@code used_event}). A
 * full fence orders every preceding store before every following load on this thread, including the
 * plain stores and loads {@link DmaMemory} makes into the guest's shared mapping (on x86 it is a
 * locked instruction), so at least one side sees the other's store: either the driver notifies (or
 * the device sees the new buffer and keeps going), or the device interrupts (or the driver sees the
 * used entry): no lost wake-up. The indices and event fields are 2-byte aligned ({@code enable}
 * checks the rings' alignment) and {@link DmaMemory} promises aligned 16-bit accesses are single
 * accesses (KVM's is a {@code ByteBuffer.getShort}/{@code putShort} on the guest mapping), so
 * neither side sees a torn index.
 */
public final class VirtQueue {
    /** §2.7.5: descriptor flags. */
    static final int DESC_F_NEXT = 1;
    static final int DESC_F_WRITE = 2;
    static final int DESC_F_INDIRECT = 4;
    /** §2.7.6: the driver asks for no interrupts (when VIRTIO_F_EVENT_IDX is not negotiated). */
    static final int AVAIL_F_NO_INTERRUPT = 1;
    static final int DESC_SIZE = 16;

    private final int index;
    private final int maxSize;
    private final DmaMemory memory;
    private final DescriptorChain chain;

    int size;
    long desc;
    long driver;
    long device;
    boolean enabled;
    private boolean indirectAllowed;
    private boolean eventIdx;
    private int lastAvail;
    /**
     * The last {@link #next()} found the ring empty and left {@code avail_event} at
     * {@code lastAvail} (with its own fence and second look): {@link #rearmNotification} must not
     * move it past a buffer the driver may have added since.
     */
    private boolean armedAtEmpty;
    private int usedIdx;
    /** Used elements written by {@link #addUsed} that the used index does not cover yet. */
    private int unpublishedUsed;
    /** The used index when the driver was last interrupted, or the decision not to was made. */
    private int signalledUsed;

    VirtQueue(int index, int maxSize, DmaMemory memory) {
        this.index = index;
        this.maxSize = maxSize;
        this.memory = memory;
        this.chain = new DescriptorChain(maxSize);
        reset();
    }

    /** Back to the state after a device reset (§4.1.4.3.2: size reads the maximum). */
    void reset() {
        size = maxSize;
        desc = 0;
        driver = 0;
        device = 0;
        enabled = false;
        indirectAllowed = false;
        eventIdx = false;
        lastAvail = 0;
        armedAtEmpty = false;
        usedIdx = 0;
        unpublishedUsed = 0;
        signalledUsed = 0;
    }

    /**
     * The saved state, with the last {@code held} chains {@link #next()} gave put back into the
     * ring (the device held them without returning them; the restored device pops them again).
     *
     * @throws IllegalStateException when the device claims to hold more chains than it has
     */
    QueueState capture(int vector, int held) {
        int withDevice = enabled ? (lastAvail - usedIdx - unpublishedUsed) & 0xFFFF : 0;
        if (held < 0 || held > withDevice) {
            throw new IllegalStateException("queue " + index + ": the device says it holds " + held + " chains, "
                    + withDevice + " are not returned");
        }
        return new QueueState(size, enabled, desc, driver, device, indirectAllowed, eventIdx,
                (lastAvail - held) & 0xFFFF, armedAtEmpty && held == 0, usedIdx, unpublishedUsed, signalledUsed,
                vector);
    }

    /**
     * Checks that {@code s} fits this queue: a size the queue can have. Where the rings are is not
     * checked here (a restore may run before the board has connected guest RAM): every ring and
     * buffer access is checked when it is made, as for any driver, and one outside RAM puts the
     * device in DEVICE_NEEDS_RESET.
     *
     * @throws IllegalArgumentException naming the queue and the problem
     */
    void check(QueueState s) {
        if (s.enabled() && s.size() > maxSize) {
            throw new IllegalArgumentException("queue " + index + ": size " + s.size() + " exceeds its maximum "
                    + maxSize);
        }
    }

    /** Makes a {@link #check checked} state the queue's. */
    void apply(QueueState s) {
        size = s.size();
        enabled = s.enabled();
        desc = s.desc();
        driver = s.driver();
        device = s.device();
        indirectAllowed = s.indirect();
        eventIdx = s.eventIdx();
        lastAvail = s.lastAvail();
        armedAtEmpty = s.armedAtEmpty();
        usedIdx = s.usedIdx();
        unpublishedUsed = s.unpublishedUsed();
        signalledUsed = s.signalledUsed();
    }

    /** The queue's index within its device. */
    public int index() {
        return index;
    }

    /** The size the driver chose. */
    public int size() {
        return size;
    }

    int maxSize() {
        return maxSize;
    }

    /**
     * Checks the rings the driver set up before it enables the queue: size a power of two, the
     * alignment of §2.7 (table 16, driver ring 2, device ring 4) and all three areas in RAM.
     */
    void enable(boolean indirect, boolean eventIdx) throws VirtQueueException {
        if (size == 0 || size > maxSize || Integer.bitCount(size) != 1) {
            throw new VirtQueueException("queue " + index + ": size " + size + " is not a power of two <= " + maxSize);
        }
        if ((desc & 15) != 0 || (driver & 1) != 0 || (device & 3) != 0) {
            throw new VirtQueueException("queue " + index + ": misaligned rings");
        }
        if (!memory.isRam(desc, (long) DESC_SIZE * size) || !memory.isRam(driver, 6 + 2L * size)
                || !memory.isRam(device, 6 + 8L * size)) {
            throw new VirtQueueException("queue " + index + ": a ring is not in RAM");
        }
        indirectAllowed = indirect;
        this.eventIdx = eventIdx;
        lastAvail = 0;
        usedIdx = 0;
        unpublishedUsed = 0;
        signalledUsed = 0;
        if (eventIdx) {
            try {
                memory.write16(availEvent(), 0); // notify at the first buffer, whatever the ring held
            } catch (GuestMemoryException e) {
                throw new VirtQueueException("queue " + index + ": " + e.getMessage());
            }
        }
        enabled = true;
    }

    /** Whether the queue uses the event-index fields (VIRTIO_F_EVENT_IDX was negotiated). */
    public boolean eventIdx() {
        return eventIdx;
    }

    /** §2.7.8: the device ring's avail_event, after its {@code size} entries. */
    private long availEvent() {
        return device + 4 + 8L * size;
    }

    /** §2.7.6: the driver ring's used_event, after its {@code size} entries. */
    private long usedEvent() {
        return driver + 4 + 2L * size;
    }

    /**
     * Pops the next available chain into {@code chain()}; false when the driver has made none
     * available.
     */
    public boolean next() throws VirtQueueException {
        if (!enabled) {
            return false;
        }
        try {
            int availIdx = memory.read16(driver + 2);
            int pending = (availIdx - lastAvail) & 0xFFFF;
            if (pending == 0 && eventIdx) {
                // Out of work: ask to be notified at the next buffer, then look again, since the
                // driver may have added one before it could see the request (the lost wake-up).
                memory.write16(availEvent(), lastAvail);
                VarHandle.fullFence();
                availIdx = memory.read16(driver + 2);
                pending = (availIdx - lastAvail) & 0xFFFF;
            }
            if (pending == 0) {
                armedAtEmpty = eventIdx;
                return false;
            }
            armedAtEmpty = false;
            if (pending > size) {
                throw new VirtQueueException("queue " + index + ": driver index " + availIdx
                        + " is more than the queue size ahead of " + lastAvail);
            }
            VarHandle.acquireFence(); // read the ring entry and descriptors after the index (§2.7.13)
            int head = memory.read16(driver + 4 + 2L * (lastAvail % size));
            lastAvail = (lastAvail + 1) & 0xFFFF;
            walk(head);
            return true;
        } catch (GuestMemoryException e) {
            throw new VirtQueueException("queue " + index + ": " + e.getMessage());
        }
    }

    /** The chain {@link #next()} popped. */
    public DescriptorChain chain() {
        return chain;
    }

    private void walk(int head) throws VirtQueueException, GuestMemoryException {
        if (head >= size) {
            throw new VirtQueueException("queue " + index + ": head " + head + " >= size " + size);
        }
        chain.clear(head);
        long table = desc;
        int tableSize = size;
        int i = head;
        int seen = 0;
        boolean indirect = false;
        while (true) {
            if (++seen > tableSize) {
                throw new VirtQueueException("queue " + index + ": chain " + head + " is longer than its table (a loop)");
            }
            long d = table + (long) DESC_SIZE * i;
            long addr = memory.read64(d);
            int len = (int) memory.read32(d + 8);
            int flags = memory.read16(d + 12);
            int next = memory.read16(d + 14);
            if ((flags & DESC_F_INDIRECT) != 0) {
                // §2.7.5.3.1: no INDIRECT inside an indirect table, never with NEXT; a table of whole descriptors
                long l = len & 0xFFFF_FFFFL;
                if (!indirectAllowed || indirect || (flags & DESC_F_NEXT) != 0 || l == 0 || l % DESC_SIZE != 0
                        || l / DESC_SIZE > size || !memory.isRam(addr, l)) {
                    throw new VirtQueueException("queue " + index + ": bad indirect descriptor in chain " + head);
                }
                indirect = true;
                table = addr;
                tableSize = (int) (l / DESC_SIZE);
                seen = 0;
                i = 0;
                continue;
            }
            boolean writable = (flags & DESC_F_WRITE) != 0;
            if (!writable && chain.hasWritable()) {
                throw new VirtQueueException("queue " + index + ": chain " + head + " has a readable buffer after a writable one");
            }
            if (!memory.isRam(addr, len & 0xFFFF_FFFFL)) {
                throw new VirtQueueException("queue " + index + ": chain " + head + " points outside RAM at 0x"
                        + Long.toHexString(addr));
            }
            if (!chain.add(addr, len, writable)) {
                throw new VirtQueueException("queue " + index + ": chain " + head + " is longer than the queue");
            }
            if ((flags & DESC_F_NEXT) == 0) {
                return;
            }
            if (next >= tableSize) {
                throw new VirtQueueException("queue " + index + ": next " + next + " beyond its table in chain " + head);
            }
            i = next;
        }
    }

    /**
     * Returns chain {@code head} to the driver with {@code written} bytes written (§2.7.8): the used
     * element first, then, after a release fence, the used index. The same as {@link #addUsed}
     * then {@link #publishUsed}.
     */
    public void complete(int head, int written) throws VirtQueueException {
        addUsed(head, written);
        publishUsed();
    }

    /**
     * Writes a used element for chain {@code head} with {@code written} bytes written, without
     * moving the used index: the driver does not see it until {@link #publishUsed}. For a device
     * that must return several chains together, e.g. the buffers of one received packet
     * (virtio 1.2 §5.1.6.4.2: a driver that sees only some of them drops the packet). The device
     * may hold at most the queue's size of chains, so the unpublished elements never overrun
     * elements the driver has not consumed.
     */
    public void addUsed(int head, int written) throws VirtQueueException {
        try {
            long elem = device + 4 + 8L * (((usedIdx + unpublishedUsed) & 0xFFFF) % size);
            memory.write32(elem, head);
            memory.write32(elem + 4, written & 0xFFFF_FFFFL);
            unpublishedUsed++;
        } catch (GuestMemoryException e) {
            throw new VirtQueueException("queue " + index + ": " + e.getMessage());
        }
    }

    /**
     * Moves the used index past every element {@link #addUsed} wrote since the last publication,
     * in one store after a release fence (§2.7.8: the elements before the index). The interrupt
     * decision ({@link #needsInterrupt}) covers the whole step, old to new index.
     */
    public void publishUsed() throws VirtQueueException {
        if (unpublishedUsed == 0) {
            return;
        }
        try {
            VarHandle.releaseFence();
            usedIdx = (usedIdx + unpublishedUsed) & 0xFFFF;
            unpublishedUsed = 0;
            memory.write16(device + 2, usedIdx);
        } catch (GuestMemoryException e) {
            throw new VirtQueueException("queue " + index + ": " + e.getMessage());
        }
    }

    /**
     * Called by the transport when the device stops processing this queue (its process returned
     * false, perhaps with buffers left for later): with EVENT_IDX, asks for a notification at the
     * next buffer the driver adds from now on, so a device that waits for something else is still
     * woken by new work. Without EVENT_IDX the driver always notifies (we never set
     * VIRTQ_USED_F_NO_NOTIFY), so nothing to do.
     *
     * <p>Same store-fence-load as {@link #next()}: after publishing the index it saw, it looks at
     * the available index again. A driver that added a buffer in between may have read the old
     * {@code avail_event} and skipped its notification, so then this returns true and the transport
     * treats it as one. When the last {@code next()} found the ring empty it has armed
     * {@code avail_event} at {@code lastAvail} already, and moving it to the current index would
     * skip a buffer added since (the driver would not notify for it): nothing to do then.
     *
     * @return whether buffers arrived while arming (serve the queue again)
     */
    boolean rearmNotification() throws VirtQueueException {
        if (!enabled || !eventIdx || armedAtEmpty) {
            return false;
        }
        try {
            int seen = memory.read16(driver + 2);
            memory.write16(availEvent(), seen);
            VarHandle.fullFence();
            return memory.read16(driver + 2) != seen;
        } catch (GuestMemoryException e) {
            throw new VirtQueueException("queue " + index + ": " + e.getMessage());
        }
    }

    /**
     * Whether the driver must be interrupted for the buffers used since the last call (§2.7.7):
     * never when none were; with EVENT_IDX when the used index passed {@code used_event} (the
     * driver's {@code vring_need_event(used_event, new, old)}, all 16-bit); otherwise unless the
     * driver set VIRTQ_AVAIL_F_NO_INTERRUPT. The full fence orders the used-index store of
     * {@link #complete} before the load of the driver's field (see the class comment).
     */
    boolean needsInterrupt() throws VirtQueueException {
        if (!enabled) {
            return false;
        }
        int now = usedIdx;
        int old = signalledUsed;
        if (now == old) {
            return false;
        }
        signalledUsed = now;
        try {
            VarHandle.fullFence();
            if (eventIdx) {
                return needEvent(memory.read16(usedEvent()), now, old);
            }
            return (memory.read16(driver) & AVAIL_F_NO_INTERRUPT) == 0;
        } catch (GuestMemoryException e) {
            throw new VirtQueueException("queue " + index + ": " + e.getMessage());
        }
    }

    /**
     * §2.7.10's test (Linux's {@code vring_need_event}): whether moving an index from {@code old}
     * to {@code now} crossed {@code event}, i.e. {@code event} is in {@code [old, now)}, modulo 2^16.
     */
    static boolean needEvent(int event, int now, int old) {
        return ((now - event - 1) & 0xFFFF) < ((now - old) & 0xFFFF);
    }
}
