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
    private int lastAvail;
    private int usedIdx;

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
        lastAvail = 0;
        usedIdx = 0;
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
    void enable(boolean indirect) throws VirtQueueException {
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
        lastAvail = 0;
        usedIdx = 0;
        enabled = true;
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
            if (pending == 0) {
                return false;
            }
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
     * element first, then, after a release fence, the used index.
     */
    public void complete(int head, int written) throws VirtQueueException {
        try {
            long elem = device + 4 + 8L * (usedIdx % size);
            memory.write32(elem, head);
            memory.write32(elem + 4, written & 0xFFFF_FFFFL);
            VarHandle.releaseFence();
            usedIdx = (usedIdx + 1) & 0xFFFF;
            memory.write16(device + 2, usedIdx);
        } catch (GuestMemoryException e) {
            throw new VirtQueueException("queue " + index + ": " + e.getMessage());
        }
    }

    /** Whether the driver wants an interrupt for used buffers now (§2.7.7, no event index). */
    boolean wantsInterrupt() throws VirtQueueException {
        try {
            VarHandle.fullFence();
            return (memory.read16(driver) & AVAIL_F_NO_INTERRUPT) == 0;
        } catch (GuestMemoryException e) {
            throw new VirtQueueException("queue " + index + ": " + e.getMessage());
        }
    }
}
