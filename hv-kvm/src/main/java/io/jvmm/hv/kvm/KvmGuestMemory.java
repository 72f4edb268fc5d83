package io.jvmm.hv.kvm;

import com.sun.jna.Pointer;
import io.jvmm.api.hv.GuestMemory;
import io.jvmm.api.hv.HypervisorException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Guest RAM: one anonymous private mapping, placed as [0, min(size, 3 GiB)) and the rest from
 * 4 GiB up, so the 32-bit MMIO hole [3 GiB, 4 GiB) stays free. Accessed through direct
 * {@link ByteBuffer} views of at most 1 GiB each (a buffer's capacity is an int). Ranges covered by
 * a ROM overlay (e.g. the BIOS alias below 1 MiB) are not RAM as far as the guest sees them, so
 * they are refused here too.
 */
final class KvmGuestMemory implements GuestMemory {
    static final long MMIO_HOLE_START = 0xC000_0000L;
    static final long HIGH_RAM_START = 0x1_0000_0000L;
    static final int CHUNK_SHIFT = 30;
    static final long CHUNK_SIZE = 1L << CHUNK_SHIFT;
    static final long PAGE_SIZE = 4096;

    /** One contiguous guest-physical RAM range and its host memory. */
    record Region(long gpa, long size, long hostAddress, ByteBuffer[] chunks) {
        long end() {
            return gpa + size;
        }

        boolean contains(long start, long length) {
            return start >= gpa && length <= size && start - gpa <= size - length;
        }
    }

    private final long hostBase;
    private final long size;
    private final List<Region> regions;
    /** Sorted, disjoint [start, end) pairs hidden by ROM overlays; replaced, never mutated. */
    private volatile long[] hidden = new long[0];
    /** Set when the mapping is gone: every later access must fail instead of touching freed memory. */
    private volatile boolean released;

    private KvmGuestMemory(long hostBase, long size, List<Region> regions) {
        this.hostBase = hostBase;
        this.size = size;
        this.regions = regions;
    }

    /** Reserves {@code size} bytes of host memory (nothing is committed until touched). */
    static KvmGuestMemory allocate(long size) throws HypervisorException {
        if (size <= 0 || size % PAGE_SIZE != 0) {
            throw new HypervisorException("guest memory size " + size + " must be a positive multiple of 4 KiB");
        }
        long base = LibC.mmap(0, size, LibC.PROT_READ | LibC.PROT_WRITE,
                LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS | LibC.MAP_NORESERVE, -1, 0);
        if (base == LibC.MAP_FAILED) {
            throw new HypervisorException("cannot reserve " + (size >> 20) + " MiB for guest memory: "
                    + LibC.describe(LibC.errno()));
        }
        List<Region> regions = new ArrayList<>(2);
        long low = Math.min(size, MMIO_HOLE_START);
        regions.add(region(0, low, base));
        if (size > low) {
            regions.add(region(HIGH_RAM_START, size - low, base + low));
        }
        return new KvmGuestMemory(base, size, List.copyOf(regions));
    }

    private static Region region(long gpa, long size, long host) {
        int n = (int) ((size + CHUNK_SIZE - 1) >>> CHUNK_SHIFT);
        ByteBuffer[] chunks = new ByteBuffer[n];
        Pointer p = new Pointer(host);
        for (int i = 0; i < n; i++) {
            long offset = (long) i << CHUNK_SHIFT;
            chunks[i] = p.getByteBuffer(offset, Math.min(CHUNK_SIZE, size - offset)).order(ByteOrder.LITTLE_ENDIAN);
        }
        return new Region(gpa, size, host, chunks);
    }

    List<Region> regions() {
        return regions;
    }

    /** Marks a range as covered by a ROM overlay. */
    synchronized void hide(long start, long end) {
        long[] old = hidden;
        long[] next = new long[old.length + 2];
        int j = 0;
        boolean placed = false;
        for (int i = 0; i < old.length; i += 2) {
            if (!placed && start < old[i]) {
                next[j++] = start;
                next[j++] = end;
                placed = true;
            }
            next[j++] = old[i];
            next[j++] = old[i + 1];
        }
        if (!placed) {
            next[j++] = start;
            next[j] = end;
        }
        hidden = next;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public boolean isRam(long gpa, long length) {
        if (length < 0 || gpa < 0) {
            return false;
        }
        if (regionOf(gpa, length) == null) {
            return false;
        }
        long[] h = hidden;
        for (int i = 0; i < h.length; i += 2) {
            if (gpa < h[i + 1] && gpa + length > h[i]) {
                return false;
            }
        }
        return true;
    }

    private Region regionOf(long gpa, long length) {
        for (Region r : regions) {
            if (r.contains(gpa, length)) {
                return r;
            }
        }
        return null;
    }

    @Override
    public void write(long gpa, byte[] source, int offset, int length) {
        java.util.Objects.checkFromIndexSize(offset, length, source.length);
        Region r = checkedRegion(gpa, length);
        long at = gpa - r.gpa();
        int done = 0;
        while (done < length) {
            ByteBuffer chunk = r.chunks()[(int) (at >>> CHUNK_SHIFT)];
            int inChunk = (int) (at & (CHUNK_SIZE - 1));
            int n = Math.min(length - done, chunk.capacity() - inChunk);
            chunk.put(inChunk, source, offset + done, n);
            done += n;
            at += n;
        }
    }

    @Override
    public void read(long gpa, byte[] target, int offset, int length) {
        java.util.Objects.checkFromIndexSize(offset, length, target.length);
        Region r = checkedRegion(gpa, length);
        long at = gpa - r.gpa();
        int done = 0;
        while (done < length) {
            ByteBuffer chunk = r.chunks()[(int) (at >>> CHUNK_SHIFT)];
            int inChunk = (int) (at & (CHUNK_SIZE - 1));
            int n = Math.min(length - done, chunk.capacity() - inChunk);
            chunk.get(inChunk, target, offset + done, n);
            done += n;
            at += n;
        }
    }

    private Region checkedRegion(long gpa, long length) {
        if (released) {
            throw new IllegalStateException("guest memory was released: the partition is closed");
        }
        if (!isRam(gpa, length)) {
            throw new IllegalArgumentException(String.format(
                    "guest range [0x%x, 0x%x) is not RAM (RAM: %s)", gpa, gpa + length, describeLayout()));
        }
        return regionOf(gpa, length);
    }

    String describeLayout() {
        StringBuilder sb = new StringBuilder();
        for (Region r : regions) {
            if (sb.length() > 0) {
                sb.append(", ");
            }
            sb.append(String.format("[0x%x, 0x%x)", r.gpa(), r.end()));
        }
        long[] h = hidden;
        for (int i = 0; i < h.length; i += 2) {
            sb.append(String.format(" minus ROM [0x%x, 0x%x)", h[i], h[i + 1]));
        }
        return sb.toString();
    }

    /**
     * Zeroes all RAM by dropping its pages: a private anonymous mapping reads back as zeroes, and
     * KVM's view follows through the kernel's MMU notifiers.
     */
    @Override
    public void clear() {
        if (released) {
            throw new IllegalStateException("guest memory was released: the partition is closed");
        }
        if (LibC.madvise(hostBase, size, LibC.MADV_DONTNEED) != 0) {
            // cannot happen for a mapping we own; fall back to writing zeroes
            for (Region r : regions) {
                for (ByteBuffer chunk : r.chunks()) {
                    for (int i = 0; i < chunk.capacity(); i += 8) {
                        chunk.putLong(i, 0L);
                    }
                }
            }
        }
    }

    void release() {
        released = true;
        LibC.munmap(hostBase, size);
    }
}
