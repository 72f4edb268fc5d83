package io.jvmm.hv.kvm;

import com.sun.jna.Pointer;
import io.jvmm.api.device.DmaMemory;
import io.jvmm.api.device.GuestMemoryException;
import io.jvmm.api.hv.GuestMemory;
import io.jvmm.api.hv.HypervisorException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Guest RAM: one private mapping, anonymous or (to restore a snapshot) of a memory image file,
 * placed as [0, min(size, 3 GiB)) and the rest from 4 GiB up, so the 32-bit MMIO hole
 * [3 GiB, 4 GiB) stays free. Accessed through direct {@link ByteBuffer} views of at most 1 GiB
 * each (a buffer's capacity is an int). Ranges covered by
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
    /** The memory image file the mapping copies on write, until {@link #clear()} replaces it; else null. */
    private volatile Path image;

    private KvmGuestMemory(long hostBase, long size, List<Region> regions, Path image) {
        this.hostBase = hostBase;
        this.size = size;
        this.regions = regions;
        this.regionArray = regions.toArray(new Region[0]);
        this.image = image;
    }

    /**
     * {@link #allocate(long)} when {@code image} is null; otherwise RAM whose initial content is
     * {@code image}, mapped {@code MAP_PRIVATE} from a read-only descriptor: a page is read from the
     * file when the guest (or the VMM) first touches it, and a write copies it into anonymous
     * memory, so the file is never modified and restore costs no eager read of RAM. The file's
     * layout is {@link #saveImage}'s: RAM ranges in ascending guest-physical order, which is
     * exactly the order of this class's host mapping (below the hole, then from 4 GiB), so one
     * mapping at file offset 0 places every region at its file offset.
     *
     * @throws IllegalArgumentException if the file is missing, unreadable or not {@code size} bytes
     */
    static KvmGuestMemory allocate(long size, Path image) throws HypervisorException {
        if (image == null) {
            return allocate(size);
        }
        checkSize(size);
        long length;
        try {
            length = Files.size(image);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("memory image " + image + " does not exist");
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read memory image " + image + ": " + e.getMessage());
        }
        if (length != size) {
            throw new IllegalArgumentException(String.format("memory image %s is %d bytes, but the VM's RAM is %d bytes"
                    + " (%d MiB): the image belongs to a VM with another memory size", image, length, size, size >> 20));
        }
        int fd = LibC.open(image.toString(), LibC.O_RDONLY | LibC.O_CLOEXEC);
        if (fd < 0) {
            int errno = LibC.errno();
            throw new IllegalArgumentException("cannot open memory image " + image + ": " + LibC.describe(errno));
        }
        long base;
        try {
            base = LibC.mmap(0, size, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_PRIVATE | LibC.MAP_NORESERVE, fd, 0);
            if (base == LibC.MAP_FAILED) {
                throw new HypervisorException("cannot map memory image " + image + " (" + (size >> 20) + " MiB): "
                        + LibC.describe(LibC.errno()));
            }
        } finally {
            LibC.close(fd); // the mapping keeps its own reference to the file
        }
        return new KvmGuestMemory(base, size, layout(base, size), image);
    }

    private static void checkSize(long size) throws HypervisorException {
        if (size <= 0 || size % PAGE_SIZE != 0) {
            throw new HypervisorException("guest memory size " + size + " must be a positive multiple of 4 KiB");
        }
    }

    /** Reserves {@code size} bytes of host memory (nothing is committed until touched). */
    static KvmGuestMemory allocate(long size) throws HypervisorException {
        checkSize(size);
        long base = LibC.mmap(0, size, LibC.PROT_READ | LibC.PROT_WRITE,
                LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS | LibC.MAP_NORESERVE, -1, 0);
        if (base == LibC.MAP_FAILED) {
            throw new HypervisorException("cannot reserve " + (size >> 20) + " MiB for guest memory: "
                    + LibC.describe(LibC.errno()));
        }
        return new KvmGuestMemory(base, size, layout(base, size), null);
    }

    /** The RAM regions of {@code size} bytes of host memory at {@code base}, in ascending guest order. */
    private static List<Region> layout(long base, long size) {
        List<Region> regions = new ArrayList<>(2);
        long low = Math.min(size, MMIO_HOLE_START);
        regions.add(region(0, low, base));
        if (size > low) {
            regions.add(region(HIGH_RAM_START, size - low, base + low));
        }
        return List.copyOf(regions);
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
     * KVM's view follows through the kernel's MMU notifiers. RAM mapped from a memory image would
     * read back the image after MADV_DONTNEED, so it is first replaced, in place (MAP_FIXED, same
     * address, so KVM's memory slots stay valid), by an anonymous mapping, which is all zeroes.
     */
    @Override
    public synchronized void clear() {
        if (released) {
            throw new IllegalStateException("guest memory was released: the partition is closed");
        }
        if (image != null) {
            long at = LibC.mmap(hostBase, size, LibC.PROT_READ | LibC.PROT_WRITE,
                    LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS | LibC.MAP_NORESERVE | LibC.MAP_FIXED, -1, 0);
            if (at == hostBase) {
                image = null;
                return;
            }
            // cannot happen for an address range we own; the zero-filling fallback below works on
            // any mapping (the file's pages are copied, then zeroed)
        }
        if (image != null || LibC.madvise(hostBase, size, LibC.MADV_DONTNEED) != 0) {
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

    /**
     * Writes RAM in ascending guest-physical order from the mapping's own buffers, one write per run
     * of non-zero pages (all-zero 4 KiB pages are left as holes of a sparse file), then sets the
     * file's length to {@link #size()}. The file is truncated first, so a reused file keeps no stale
     * pages in the holes. Allocates one zero page per call, nothing per page.
     */
    @Override
    public void saveImage(FileChannel file) throws IOException {
        if (released) {
            throw new IllegalStateException("guest memory was released: the partition is closed");
        }
        file.truncate(0);
        ByteBuffer zero = ByteBuffer.allocateDirect((int) PAGE_SIZE);
        long fileOffset = 0;
        for (Region r : regions) {
            for (ByteBuffer chunk : r.chunks()) {
                ByteBuffer page = chunk.duplicate();
                ByteBuffer out = chunk.duplicate();
                int length = chunk.capacity();
                int dirtyFrom = -1;
                for (int at = 0; at < length; at += PAGE_SIZE) {
                    int end = (int) Math.min(at + PAGE_SIZE, length);
                    page.clear().limit(end).position(at);
                    zero.clear().limit(end - at);
                    boolean zeroPage = page.mismatch(zero) < 0;
                    if (!zeroPage && dirtyFrom < 0) {
                        dirtyFrom = at;
                    } else if (zeroPage && dirtyFrom >= 0) {
                        writeFully(file, out, dirtyFrom, at, fileOffset + dirtyFrom);
                        dirtyFrom = -1;
                    }
                }
                if (dirtyFrom >= 0) {
                    writeFully(file, out, dirtyFrom, length, fileOffset + dirtyFrom);
                }
                fileOffset += length;
            }
        }
        if (file.size() < size) {
            // the last page was zero: one byte sets the length (the rest stays a hole)
            writeFully(file, zero.clear(), 0, 1, size - 1);
        }
    }

    private static void writeFully(FileChannel file, ByteBuffer buffer, int from, int to, long position)
            throws IOException {
        buffer.clear().limit(to).position(from);
        while (buffer.hasRemaining()) {
            position += file.write(buffer, position);
        }
    }

    /** Whether RAM is still mapped from a memory image (for tests). */
    boolean mappedFromImage() {
        return image != null;
    }

    /** The host address of RAM (for tests that look at the process's mappings). */
    long hostBase() {
        return hostBase;
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
