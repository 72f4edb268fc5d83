package io.jvmm.testkit;

import io.jvmm.api.device.DmaMemory;
import io.jvmm.api.device.GuestMemoryException;
import io.jvmm.api.device.PciPlatform;
import java.nio.ByteBuffer;

/**
 * Guest RAM for device tests, laid out as jvmm's x86 boards lay it out: {@code [0, min(size, 3 GiB))}
 * and the rest from 4 GiB up, so the PCI hole {@code [0xC0000000, 4 GiB)} is not RAM. It is sparse:
 * 64 KiB pages are allocated when first written (untouched pages read as zero), so a test can have
 * a 5 GiB guest. Accesses to pages already touched allocate nothing (measure with
 * {@link AllocationMeter} after a warm-up write). Thread-safe for the accesses a device makes
 * (pages are created under a lock; field accesses are plain).
 */
public final class FakeGuestMemory implements DmaMemory {
    static final int PAGE_SHIFT = 16;
    static final int PAGE_SIZE = 1 << PAGE_SHIFT;
    /** Where RAM continues above the PCI hole. */
    public static final long HIGH_RAM_START = 0x1_0000_0000L;

    private final long size;
    private final long lowEnd;
    private final long highEnd;
    private final byte[][] pages;

    /** {@code size} bytes of RAM, at most 64 GiB. */
    public FakeGuestMemory(long size) {
        if (size <= 0 || size > (64L << 30)) {
            throw new IllegalArgumentException("fake guest memory must be 1 byte .. 64 GiB, was " + size);
        }
        this.size = size;
        this.lowEnd = Math.min(size, PciPlatform.MMIO32_WINDOW_START);
        this.highEnd = size > lowEnd ? HIGH_RAM_START + (size - lowEnd) : HIGH_RAM_START;
        this.pages = new byte[(int) ((size + PAGE_SIZE - 1) >>> PAGE_SHIFT) + 1][];
    }

    /** Total RAM. */
    public long size() {
        return size;
    }

    @Override
    public boolean isRam(long gpa, long length) {
        if (!DmaMemory.validRange(gpa, length) || gpa < 0) {
            return false;
        }
        long last = length == 0 ? gpa : gpa + length - 1;
        if (Long.compareUnsigned(last, lowEnd) < 0) {
            return true;
        }
        return gpa >= HIGH_RAM_START && Long.compareUnsigned(last, highEnd) < 0;
    }

    private void check(long gpa, long length) throws GuestMemoryException {
        if (!isRam(gpa, length)) {
            throw new GuestMemoryException(gpa, length, DmaMemory.validRange(gpa, length)
                    ? "not RAM (RAM: [0, 0x" + Long.toHexString(lowEnd) + ")"
                            + (highEnd > HIGH_RAM_START ? ", [0x100000000, 0x" + Long.toHexString(highEnd) + ")" : "")
                            + ")"
                    : "the range wraps around the address space");
        }
    }

    /** RAM offset of a guest address already known to be RAM. */
    private long ramOffset(long gpa) {
        return gpa < HIGH_RAM_START ? gpa : lowEnd + (gpa - HIGH_RAM_START);
    }

    private byte getByte(long ram) {
        byte[] p = pages[(int) (ram >>> PAGE_SHIFT)];
        return p == null ? 0 : p[(int) (ram & (PAGE_SIZE - 1))];
    }

    private void putByte(long ram, byte b) {
        int i = (int) (ram >>> PAGE_SHIFT);
        byte[] p = pages[i];
        if (p == null) {
            if (b == 0) {
                return;
            }
            synchronized (pages) {
                p = pages[i];
                if (p == null) {
                    p = new byte[PAGE_SIZE];
                    pages[i] = p;
                }
            }
        }
        p[(int) (ram & (PAGE_SIZE - 1))] = b;
    }

    @Override
    public void read(long gpa, byte[] target, int offset, int length) throws GuestMemoryException {
        java.util.Objects.checkFromIndexSize(offset, length, target.length);
        check(gpa, length);
        long ram = ramOffset(gpa);
        for (int i = 0; i < length; i++) {
            target[offset + i] = getByte(ram + i);
        }
    }

    @Override
    public void write(long gpa, byte[] source, int offset, int length) throws GuestMemoryException {
        java.util.Objects.checkFromIndexSize(offset, length, source.length);
        check(gpa, length);
        long ram = ramOffset(gpa);
        for (int i = 0; i < length; i++) {
            putByte(ram + i, source[offset + i]);
        }
    }

    /**
     * A view within one page of the fake RAM (it is allocated in pages); null for a range that
     * crosses a page, so tests exercise both a device's view path and its copying fallback.
     */
    @Override
    public ByteBuffer view(long gpa, int length) throws GuestMemoryException {
        check(gpa, length);
        long ram = ramOffset(gpa);
        int off = (int) (ram & (PAGE_SIZE - 1));
        if (off + (long) length > PAGE_SIZE) {
            return null;
        }
        int i = (int) (ram >>> PAGE_SHIFT);
        byte[] p;
        synchronized (pages) {
            p = pages[i];
            if (p == null) {
                p = new byte[PAGE_SIZE];
                pages[i] = p;
            }
        }
        return ByteBuffer.wrap(p, off, length).slice().order(java.nio.ByteOrder.LITTLE_ENDIAN);
    }

    @Override
    public void read(long gpa, ByteBuffer target) throws GuestMemoryException {
        int n = target.remaining();
        check(gpa, n);
        long ram = ramOffset(gpa);
        for (int i = 0; i < n; i++) {
            target.put(getByte(ram + i));
        }
    }

    @Override
    public void write(long gpa, ByteBuffer source) throws GuestMemoryException {
        int n = source.remaining();
        check(gpa, n);
        long ram = ramOffset(gpa);
        for (int i = 0; i < n; i++) {
            putByte(ram + i, source.get());
        }
    }

    @Override
    public void zero(long gpa, long length) throws GuestMemoryException {
        check(gpa, length);
        long ram = ramOffset(gpa);
        for (long i = 0; i < length; i++) {
            putByte(ram + i, (byte) 0);
        }
    }

    @Override
    public long readLittleEndian(long gpa, int n) throws GuestMemoryException {
        check(gpa, n);
        long ram = ramOffset(gpa);
        long v = 0;
        for (int i = 0; i < n; i++) {
            v |= (getByte(ram + i) & 0xFFL) << (8 * i);
        }
        return v;
    }

    @Override
    public void writeLittleEndian(long gpa, int n, long value) throws GuestMemoryException {
        check(gpa, n);
        long ram = ramOffset(gpa);
        for (int i = 0; i < n; i++) {
            putByte(ram + i, (byte) (value >>> (8 * i)));
        }
    }






}
