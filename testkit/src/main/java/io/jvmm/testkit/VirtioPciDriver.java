package io.jvmm.testkit;

import io.jvmm.api.device.DmaMemory;
import io.jvmm.api.device.GuestMemoryException;
import io.jvmm.api.device.IoData;
import io.jvmm.api.device.PciCapability;
import io.jvmm.api.device.PciFunction;
import java.util.ArrayList;
import java.util.List;

/**
 * The guest side of a modern virtio PCI device, for device tests: it finds the virtio capabilities
 * (virtio 1.2 §4.1.4) through {@link PciFunction#capabilityRead}, talks to the registers through
 * {@link PciFunction#barRead}/{@link PciFunction#barWrite} (as the board would after mapping the
 * BAR), initializes the device (§3.1.1) and drives split virtqueues whose rings it lays out in a
 * {@link DmaMemory} (e.g. a {@link FakeGuestMemory}). Raw descriptor and ring writes let a test play
 * a hostile driver. Tests call the device's poll themselves (the board's device thread in jvmm).
 *
 * <p>Both notification modes (virtio 1.2 §2.7.7, §2.7.10): negotiate {@link #F_EVENT_IDX} and the
 * queue has {@link Queue#setUsedEvent} and {@link Queue#availEvent()}; without it
 * {@link Queue#setNoInterrupt}. {@link Queue#kick()} notifies only when the device asked for it (its
 * avail_event, or VIRTQ_USED_F_NO_NOTIFY), as Linux's {@code virtqueue_kick_prepare} does;
 * {@link Queue#notifyDevice()} always does.
 */
public final class VirtioPciDriver {
    public static final int STATUS_ACKNOWLEDGE = 1;
    public static final int STATUS_DRIVER = 2;
    public static final int STATUS_DRIVER_OK = 4;
    public static final int STATUS_FEATURES_OK = 8;
    public static final int STATUS_DEVICE_NEEDS_RESET = 64;
    public static final long F_VERSION_1 = 1L << 32;
    public static final long F_RING_INDIRECT_DESC = 1L << 28;
    public static final long F_EVENT_IDX = 1L << 29;
    /** §2.7.6: the driver ring's flag asking for no interrupts (without EVENT_IDX). */
    public static final int AVAIL_F_NO_INTERRUPT = 1;
    /** §2.7.8: the device ring's flag asking for no notifications (without EVENT_IDX). */
    public static final int USED_F_NO_NOTIFY = 1;
    public static final int DESC_F_NEXT = 1;
    public static final int DESC_F_WRITE = 2;
    public static final int DESC_F_INDIRECT = 4;

    /** One region a virtio capability announces: cfg_type, BAR and offset within it. */
    public record Area(int type, int bar, long offset, long length, long notifyMultiplier) {}

    private PciFunction function;
    private final DmaMemory memory;
    private final List<Area> areas = new ArrayList<>();
    private final Area common;
    private final Area notify;
    private final Area isr;
    private final List<Queue> queues = new ArrayList<>();
    private long negotiated;

    /** Reads the capability list of {@code function}. */
    public VirtioPciDriver(PciFunction function, DmaMemory memory) {
        this.function = function;
        this.memory = memory;
        List<PciCapability> caps = function.info().capabilities();
        for (int i = 0; i < caps.size(); i++) {
            if (caps.get(i).id() != 0x09 || caps.get(i).length() < 16) {
                continue;
            }
            long mult = caps.get(i).length() >= 20 ? cap(i, 16, 4) : 0;
            areas.add(new Area((int) cap(i, 3, 1), (int) cap(i, 4, 1), cap(i, 8, 4), cap(i, 12, 4), mult));
        }
        common = area(1);
        notify = area(2);
        isr = area(3);
        if (common == null || notify == null || isr == null) {
            throw new AssertionError("the device lacks a common, notify or ISR capability: " + areas);
        }
    }

    private long cap(int i, int offset, int len) {
        byte[] d = new byte[len];
        function.capabilityRead(i, offset, d);
        return IoData.get(d);
    }

    /**
     * Goes on with {@code other}, a device the old one's saved state was restored into (its
     * capabilities laid out alike): the rings and this driver's queues stay as they are, in guest
     * memory and here, as a guest's do across a snapshot.
     */
    public void attach(PciFunction other) {
        this.function = java.util.Objects.requireNonNull(other, "other");
    }

    /** The first area of {@code type}, or null. */
    public Area area(int type) {
        for (Area a : areas) {
            if (a.type() == type) {
                return a;
            }
        }
        return null;
    }

    public List<Area> areas() {
        return List.copyOf(areas);
    }

    /** Reads {@code size} bytes of the common configuration at {@code offset}. */
    public long readCommon(int offset, int size) {
        byte[] d = new byte[size];
        function.barRead(common.bar(), common.offset() + offset, d);
        return IoData.get(d);
    }

    public void writeCommon(int offset, int size, long value) {
        byte[] d = new byte[size];
        IoData.put(d, value);
        function.barWrite(common.bar(), common.offset() + offset, d);
    }

    public int status() {
        return (int) readCommon(0x14, 1);
    }

    public void setStatus(int status) {
        writeCommon(0x14, 1, status);
    }

    /** The 64 feature bits the device offers. */
    public long deviceFeatures() {
        writeCommon(0x00, 4, 0);
        long lo = readCommon(0x04, 4);
        writeCommon(0x00, 4, 1);
        return lo | readCommon(0x04, 4) << 32;
    }

    /** Reads (and so clears) the ISR status byte. */
    public int readIsr() {
        byte[] d = new byte[1];
        function.barRead(isr.bar(), isr.offset(), d);
        return d[0] & 0xFF;
    }

    /**
     * §3.1.1: reset, ACKNOWLEDGE, DRIVER, write {@code features}, FEATURES_OK (returns false if the
     * device refused them), and enables bus mastering and memory decoding on the function.
     */
    public boolean negotiate(long features) {
        function.commandWritten(PciFunction.COMMAND_MEMORY | PciFunction.COMMAND_BUS_MASTER);
        setStatus(0);
        setStatus(STATUS_ACKNOWLEDGE);
        setStatus(STATUS_ACKNOWLEDGE | STATUS_DRIVER);
        writeCommon(0x08, 4, 0);
        writeCommon(0x0C, 4, features & 0xFFFF_FFFFL);
        writeCommon(0x08, 4, 1);
        writeCommon(0x0C, 4, features >>> 32);
        setStatus(STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK);
        negotiated = features;
        return (status() & STATUS_FEATURES_OK) != 0;
    }

    /**
     * Sets up queue {@code index} with {@code size} entries, its rings (zeroed first) from
     * {@code base} (4 KiB aligned) on.
     */
    public Queue setUpQueue(int index, int size, long base) {
        writeCommon(0x16, 2, index);
        writeCommon(0x18, 2, size);
        long desc = base;
        long avail = base + 16L * size;
        long used = (avail + 6 + 2L * size + 3) & ~3L;
        try {
            memory.zero(base, used + 6 + 8L * size - base); // fresh rings, as a driver allocates them
        } catch (GuestMemoryException e) {
            throw new AssertionError(e.getMessage(), e);
        }
        writeCommon(0x20, 8, desc);
        writeCommon(0x28, 4, avail); // 64-bit fields written as two halves, as Linux does
        writeCommon(0x2C, 4, avail >>> 32);
        writeCommon(0x30, 8, used);
        writeCommon(0x1C, 2, 1);
        Queue q = new Queue(index, size, desc, avail, used, readCommon(0x1E, 2));
        queues.add(q);
        return q;
    }

    /** DRIVER_OK. */
    public void driverOk() {
        setStatus(status() | STATUS_DRIVER_OK);
    }

    /** One used element. */
    public record Used(int id, long length) {}

    /** A split virtqueue, driver side. */
    public final class Queue {
        private final int index;
        private final int size;
        private final long desc;
        private final long avail;
        private final long used;
        private final long notifyOff;
        private int nextDesc;
        private int availIdx;
        private int lastUsed;
        /** The driver index at the last {@link #kick()} that notified (or decided not to). */
        private int kickedIdx;
        private final boolean eventIdx = (negotiated & F_EVENT_IDX) != 0;

        Queue(int index, int size, long desc, long avail, long used, long notifyOff) {
            this.index = index;
            this.size = size;
            this.desc = desc;
            this.avail = avail;
            this.used = used;
            this.notifyOff = notifyOff;
        }

        /** Writes descriptor {@code i} as it is (no checks: a test may write a hostile one). */
        public void writeDescriptor(int i, long addr, long len, int flags, int next) {
            writeDescriptorAt(desc + 16L * i, addr, len, flags, next);
        }

        /** Writes a descriptor at any address (e.g. into an indirect table). */
        public void writeDescriptorAt(long at, long addr, long len, int flags, int next) {
            try {
                memory.write64(at, addr);
                memory.write32(at + 8, len);
                memory.write16(at + 12, flags);
                memory.write16(at + 14, next);
            } catch (GuestMemoryException e) {
                throw new AssertionError(e.getMessage(), e);
            }
        }

        /**
         * A chain of device-writable buffers {@code (address, length)} pairs, linked from the next
         * free descriptors; returns its head.
         */
        public int addWritable(long... addrLen) {
            int head = nextDesc;
            int n = addrLen.length / 2;
            for (int k = 0; k < n; k++) {
                int i = (head + k) % size;
                boolean last = k == n - 1;
                writeDescriptor(i, addrLen[2 * k], addrLen[2 * k + 1], DESC_F_WRITE | (last ? 0 : DESC_F_NEXT),
                        last ? 0 : (i + 1) % size);
            }
            nextDesc = (head + n) % size;
            publish(head);
            return head;
        }

        /** Puts {@code head} in the driver ring and advances its index (no notification). */
        public void publish(int head) {
            try {
                memory.write16(avail + 4 + 2L * (availIdx % size), head);
                availIdx = (availIdx + 1) & 0xFFFF;
                memory.write16(avail + 2, availIdx);
            } catch (GuestMemoryException e) {
                throw new AssertionError(e.getMessage(), e);
            }
        }

        /** Sets the driver ring's index to anything (a hostile driver). */
        public void setAvailIndex(int idx) {
            try {
                memory.write16(avail + 2, idx);
            } catch (GuestMemoryException e) {
                throw new AssertionError(e.getMessage(), e);
            }
        }

        /** Whether VIRTIO_F_EVENT_IDX was negotiated when the queue was set up. */
        public boolean eventIdx() {
            return eventIdx;
        }

        /** The driver ring's index: how many buffers were made available, modulo 2^16. */
        public int availIndex() {
            return availIdx;
        }

        /** The device ring's index, as the device last wrote it. */
        public int usedIndex() {
            return read16(used + 2);
        }

        /** Writes the driver ring's used_event (§2.7.10): interrupt me once the used index passes it. */
        public void setUsedEvent(int idx) {
            write16(avail + 4 + 2L * size, idx);
        }

        /** The device ring's avail_event (§2.7.10): the driver index the device wants a notification at. */
        public int availEvent() {
            return read16(used + 4 + 8L * size);
        }

        /** Sets or clears VIRTQ_AVAIL_F_NO_INTERRUPT in the driver ring's flags (§2.7.7.1). */
        public void setNoInterrupt(boolean on) {
            write16(avail, on ? AVAIL_F_NO_INTERRUPT : 0);
        }

        /**
         * Notifies the device if it asked to be (§2.7.10 with EVENT_IDX: the driver index moved past
         * avail_event since the last kick, Linux's {@code vring_need_event}; without: unless the device
         * ring has VIRTQ_USED_F_NO_NOTIFY); returns whether it notified.
         */
        public boolean kick() {
            int old = kickedIdx;
            int now = availIdx;
            kickedIdx = now;
            boolean needed = eventIdx
                    ? ((now - availEvent() - 1) & 0xFFFF) < ((now - old) & 0xFFFF)
                    : (read16(used) & USED_F_NO_NOTIFY) == 0;
            if (needed) {
                notifyDevice();
            }
            return needed;
        }

        private int read16(long at) {
            try {
                return memory.read16(at);
            } catch (GuestMemoryException e) {
                throw new AssertionError(e.getMessage(), e);
            }
        }

        private void write16(long at, int value) {
            try {
                memory.write16(at, value);
            } catch (GuestMemoryException e) {
                throw new AssertionError(e.getMessage(), e);
            }
        }

        /** Writes the queue's notify register (§4.1.5.2). */
        public void notifyDevice() {
            byte[] d = new byte[2];
            IoData.put(d, index);
            function.barWrite(notify.bar(), notify.offset() + notifyOff * notify.notifyMultiplier(), d);
        }

        /** The used elements the device added since the last call. */
        public List<Used> takeUsed() {
            List<Used> out = new ArrayList<>();
            try {
                int idx = memory.read16(used + 2);
                while (lastUsed != idx) {
                    long e = used + 4 + 8L * (lastUsed % size);
                    out.add(new Used((int) memory.read32(e), memory.read32(e + 4)));
                    lastUsed = (lastUsed + 1) & 0xFFFF;
                }
            } catch (GuestMemoryException e) {
                throw new AssertionError(e.getMessage(), e);
            }
            return out;
        }
    }
}
