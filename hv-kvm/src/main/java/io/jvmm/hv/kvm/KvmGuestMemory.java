package io.jvmm.hv.kvm;

import com.sun.jna.Pointer;
import io.jvmm.api.device.DmaMemory;
import io.jvmm.api.device.GuestMemoryException;
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
    /** The same regions as an array: the DMA path iterates without an iterator. */
    private final Region[] regionArray;
    private final Dma dma = new Dma();
    /** Sorted, disjoint [start, end) pairs hidden by ROM overlays; replaced, never mutated. */
    private volatile long[] hidden = new long[0];
    /** Set when the mapping is gone: every later access must fail instead of touching freed memory. */
    private volatile boolean released;

    private KvmGuestMemory(long hostBase, long size, List<Region> regions) {
        this.hostBase = hostBase;
        this.size = size;
        this.regions = regions;
        this.regionArray = regions.toArray(new Region[0]);
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

    @Override
    public DmaMemory dma() {
        return dma;
    }

    /**
     * The RAM region wholly holding {@code [gpa, gpa + length)} when it is RAM a device may reach
     * (not released, not under a ROM overlay), else null. Allocates nothing.
     */
    private Region dmaRegion(long gpa, long length) {
        if (released || gpa < 0 || length < 0) {
            return null; // addresses at or above 2^63 are never RAM here
        }
        Region found = null;
        for (Region r : regionArray) {
            if (r.contains(gpa, length)) {
                found = r;
                break;
            }
        }
        if (found == null) {
            return null;
        }
        long[] h = hidden;
        for (int i = 0; i < h.length; i += 2) {
            if (gpa < h[i + 1] && gpa + length > h[i]) {
                return null;
            }
        }
        return found;
    }

    /**
     * {@link DmaMemory} straight over the chunk buffers: a field access is one absolute get/put on
     * a little-endian direct buffer unless it straddles a 1 GiB chunk boundary.
     */
    private final class Dma implements DmaMemory {
        private Region checked(long gpa, long length) throws GuestMemoryException {
            Region r = dmaRegion(gpa, length);
            if (r == null) {
                throw new GuestMemoryException(gpa, length,
                        released ? "guest memory was released" : "not RAM (RAM: " + describeLayout() + ")");
            }
            return r;
        }

        @Override
        public boolean isRam(long gpa, long length) {
            return dmaRegion(gpa, length) != null;
        }

        @Override
        public void read(long gpa, byte[] target, int offset, int length) throws GuestMemoryException {
            java.util.Objects.checkFromIndexSize(offset, length, target.length);
            checked(gpa, length);
            KvmGuestMemory.this.read(gpa, target, offset, length);
        }

        @Override
        public void write(long gpa, byte[] source, int offset, int length) throws GuestMemoryException {
            java.util.Objects.checkFromIndexSize(offset, length, source.length);
            checked(gpa, length);
            KvmGuestMemory.this.write(gpa, source, offset, length);
        }

        @Override
        public ByteBuffer view(long gpa, int length) throws GuestMemoryException {
            Region r = checked(gpa, length);
            long at = gpa - r.gpa();
            ByteBuffer chunk = r.chunks()[(int) (at >>> CHUNK_SHIFT)];
            int inChunk = (int) (at & (CHUNK_SIZE - 1));
            if (length > chunk.capacity() - inChunk) {
                return null; // across a 1 GiB chunk seam: the caller copies
            }
            return chunk.slice(inChunk, length).order(ByteOrder.LITTLE_ENDIAN);
        }

        @Override
        public void read(long gpa, ByteBuffer target) throws GuestMemoryException {
            int length = target.remaining();
            Region r = checked(gpa, length);
            long at = gpa - r.gpa();
            int pos = target.position();
            int done = 0;
            while (done < length) {
                ByteBuffer chunk = r.chunks()[(int) (at >>> CHUNK_SHIFT)];
                int inChunk = (int) (at & (CHUNK_SIZE - 1));
                int n = Math.min(length - done, chunk.capacity() - inChunk);
                target.put(pos + done, chunk, inChunk, n);
                done += n;
                at += n;
            }
            target.position(pos + length);
        }

        @Override
        public void write(long gpa, ByteBuffer source) throws GuestMemoryException {
            int length = source.remaining();
            Region r = checked(gpa, length);
            long at = gpa - r.gpa();
            int pos = source.position();
            int done = 0;
            while (done < length) {
                ByteBuffer chunk = r.chunks()[(int) (at >>> CHUNK_SHIFT)];
                int inChunk = (int) (at & (CHUNK_SIZE - 1));
                int n = Math.min(length - done, chunk.capacity() - inChunk);
                chunk.put(inChunk, source, pos + done, n);
                done += n;
                at += n;
            }
            source.position(pos + length);
        }

        @Override
        public void zero(long gpa, long length) throws GuestMemoryException {
            Region r = checked(gpa, length);
            long at = gpa - r.gpa();
            for (long i = 0; i < length; i++, at++) {
                r.chunks()[(int) (at >>> CHUNK_SHIFT)].put((int) (at & (CHUNK_SIZE - 1)), (byte) 0);
            }
        }

        @Override
        public long readLittleEndian(long gpa, int size) throws GuestMemoryException {
            Region r = checked(gpa, size);
            long at = gpa - r.gpa();
            int inChunk = (int) (at & (CHUNK_SIZE - 1));
            ByteBuffer chunk = r.chunks()[(int) (at >>> CHUNK_SHIFT)];
            if (inChunk + size <= chunk.capacity()) {
                switch (size) {
                    case 2: return chunk.getShort(inChunk) & 0xFFFFL;
                    case 4: return chunk.getInt(inChunk) & 0xFFFF_FFFFL;
                    default: return chunk.getLong(inChunk);
                }
            }
            long v = 0;
            for (int i = 0; i < size; i++, at++) {
                v |= (r.chunks()[(int) (at >>> CHUNK_SHIFT)].get((int) (at & (CHUNK_SIZE - 1))) & 0xFFL) << (8 * i);
            }
            return v;
        }

        @Override
        public void writeLittleEndian(long gpa, int size, long value) throws GuestMemoryException {
            Region r = checked(gpa, size);
            long at = gpa - r.gpa();
            int inChunk = (int) (at & (CHUNK_SIZE - 1));
            ByteBuffer chunk = r.chunks()[(int) (at >>> CHUNK_SHIFT)];
            if (inChunk + size <= chunk.capacity()) {
                switch (size) {
                    case 2: chunk.putShort(inChunk, (short) value); return;
                    case 4: chunk.putInt(inChunk, (int) value); return;
                    default: chunk.putLong(inChunk, value); return;
                }
            }
            for (int i = 0; i < size; i++, at++) {
                r.chunks()[(int) (at >>> CHUNK_SHIFT)].put((int) (at & (CHUNK_SIZE - 1)), (byte) (value >>> (8 * i)));
            }
        }






    }

    void release() {
        released = true;
        LibC.munmap(hostBase, size);
    }
}
