package io.jvmm.runtime.board;

import io.jvmm.api.device.DmaMemory;
import io.jvmm.api.device.GuestMemoryException;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * The guest memory every device of one board gets: the board is built (and checked) before the
 * partition and its RAM exist, so this forwards to {@link DmaMemory#NONE} until
 * {@link Chipset#connectGuestMemory} names the real memory. One volatile read per access.
 */
final class LateDmaMemory implements DmaMemory {
    private volatile DmaMemory memory = DmaMemory.NONE;

    void connect(DmaMemory memory) {
        this.memory = Objects.requireNonNull(memory, "memory");
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
        memory.writeLittleEndian(gpa, size, value);
    }
}
