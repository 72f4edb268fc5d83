package io.jvmm.api.hv;

import io.jvmm.api.device.DmaMemory;
import io.jvmm.api.device.GuestMemoryException;
import java.nio.ByteBuffer;

/**
 * {@link GuestMemory#dma()}'s default: checks each range with {@link GuestMemory#isRam} (and for
 * well-formedness) before it calls the memory, so the memory's own unchecked exceptions never
 * happen. Fixed-size fields go through a per-thread 8-byte scratch array, so after a thread's first
 * access nothing is allocated; direct buffers are copied through a per-thread 4 KiB array.
 */
final class GuestMemoryDma implements DmaMemory {
    private static final int SCRATCH = 4096;
    private final GuestMemory memory;
    private final ThreadLocal<byte[]> field = ThreadLocal.withInitial(() -> new byte[8]);
    private final ThreadLocal<byte[]> bulk = ThreadLocal.withInitial(() -> new byte[SCRATCH]);

    GuestMemoryDma(GuestMemory memory) {
        this.memory = memory;
    }

    private void check(long gpa, long length) throws GuestMemoryException {
        if (!DmaMemory.validRange(gpa, length)) {
            throw new GuestMemoryException(gpa, length, "the range wraps around the address space");
        }
        if (!memory.isRam(gpa, length)) {
            throw new GuestMemoryException(gpa, length, "not RAM");
        }
    }

    @Override
    public boolean isRam(long gpa, long length) {
        return DmaMemory.validRange(gpa, length) && memory.isRam(gpa, length);
    }

    @Override
    public void read(long gpa, byte[] target, int offset, int length) throws GuestMemoryException {
        java.util.Objects.checkFromIndexSize(offset, length, target.length);
        check(gpa, length);
        memory.read(gpa, target, offset, length);
    }

    @Override
    public void write(long gpa, byte[] source, int offset, int length) throws GuestMemoryException {
        java.util.Objects.checkFromIndexSize(offset, length, source.length);
        check(gpa, length);
        memory.write(gpa, source, offset, length);
    }

    @Override
    public void read(long gpa, ByteBuffer target) throws GuestMemoryException {
        int n = target.remaining();
        check(gpa, n);
        if (target.hasArray()) {
            memory.read(gpa, target.array(), target.arrayOffset() + target.position(), n);
            target.position(target.position() + n);
            return;
        }
        byte[] b = bulk.get();
        for (int done = 0; done < n; ) {
            int k = Math.min(SCRATCH, n - done);
            memory.read(gpa + done, b, 0, k);
            target.put(b, 0, k);
            done += k;
        }
    }

    @Override
    public void write(long gpa, ByteBuffer source) throws GuestMemoryException {
        int n = source.remaining();
        check(gpa, n);
        if (source.hasArray()) {
            memory.write(gpa, source.array(), source.arrayOffset() + source.position(), n);
            source.position(source.position() + n);
            return;
        }
        byte[] b = bulk.get();
        for (int done = 0; done < n; ) {
            int k = Math.min(SCRATCH, n - done);
            source.get(b, 0, k);
            memory.write(gpa + done, b, 0, k);
            done += k;
        }
    }

    @Override
    public void zero(long gpa, long length) throws GuestMemoryException {
        check(gpa, length);
        byte[] b = bulk.get();
        java.util.Arrays.fill(b, (byte) 0);
        for (long done = 0; done < length; ) {
            int k = (int) Math.min(SCRATCH, length - done);
            memory.write(gpa + done, b, 0, k);
            done += k;
        }
    }

    @Override
    public long readLittleEndian(long gpa, int size) throws GuestMemoryException {
        check(gpa, size);
        byte[] b = field.get();
        memory.read(gpa, b, 0, size);
        long v = 0;
        for (int i = 0; i < size; i++) {
            v |= (b[i] & 0xFFL) << (8 * i);
        }
        return v;
    }

    @Override
    public void writeLittleEndian(long gpa, int size, long value) throws GuestMemoryException {
        check(gpa, size);
        byte[] b = field.get();
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (value >>> (8 * i));
        }
        memory.write(gpa, b, 0, size);
    }






}
