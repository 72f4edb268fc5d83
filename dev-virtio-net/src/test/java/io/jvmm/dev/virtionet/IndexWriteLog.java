package io.jvmm.dev.virtionet;

import io.jvmm.api.device.DmaMemory;
import io.jvmm.api.device.GuestMemoryException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Guest memory that records every value written to one 16-bit field (a ring index), so a test sees
 * each step a driver could have observed, not only the end state.
 */
final class IndexWriteLog implements DmaMemory {
    private final DmaMemory memory;
    long watched = -1;
    final List<Integer> values = new ArrayList<>();

    IndexWriteLog(DmaMemory memory) {
        this.memory = memory;
    }

    @Override
    public boolean isRam(long gpa, long length) {
        return memory.isRam(gpa, length);
    }

    @Override
    public void read(long gpa, byte[] target, int offset, int length) throws GuestMemoryException {
        memory.read(gpa, target, offset, length);
    }

    @Override
    public void write(long gpa, byte[] source, int offset, int length) throws GuestMemoryException {
        memory.write(gpa, source, offset, length);
    }

    @Override
    public void read(long gpa, ByteBuffer target) throws GuestMemoryException {
        memory.read(gpa, target);
    }

    @Override
    public void write(long gpa, ByteBuffer source) throws GuestMemoryException {
        memory.write(gpa, source);
    }

    @Override
    public void zero(long gpa, long length) throws GuestMemoryException {
        memory.zero(gpa, length);
    }

    @Override
    public ByteBuffer view(long gpa, int length) throws GuestMemoryException {
        return memory.view(gpa, length);
    }

    @Override
    public long readLittleEndian(long gpa, int size) throws GuestMemoryException {
        return memory.readLittleEndian(gpa, size);
    }

    @Override
    public void writeLittleEndian(long gpa, int size, long value) throws GuestMemoryException {
        if (gpa == watched && size == 2) {
            values.add((int) (value & 0xFFFF));
        }
        memory.writeLittleEndian(gpa, size, value);
    }
}
