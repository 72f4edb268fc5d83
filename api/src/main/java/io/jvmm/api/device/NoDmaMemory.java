package io.jvmm.api.device;

import java.nio.ByteBuffer;

/** {@link DmaMemory#NONE}: no RAM at all; every access fails without touching anything. */
final class NoDmaMemory implements DmaMemory {
    private static GuestMemoryException fail(long gpa, long length) {
        return new GuestMemoryException(gpa, length, "the board has no guest memory (yet)");
    }

    @Override
    public boolean isRam(long gpa, long length) {
        return false;
    }

    @Override
    public void read(long gpa, byte[] target, int offset, int length) throws GuestMemoryException {
        throw fail(gpa, length);
    }

    @Override
    public void write(long gpa, byte[] source, int offset, int length) throws GuestMemoryException {
        throw fail(gpa, length);
    }

    @Override
    public void read(long gpa, ByteBuffer target) throws GuestMemoryException {
        throw fail(gpa, target.remaining());
    }

    @Override
    public void write(long gpa, ByteBuffer source) throws GuestMemoryException {
        throw fail(gpa, source.remaining());
    }

    @Override
    public void zero(long gpa, long length) throws GuestMemoryException {
        throw fail(gpa, length);
    }

    @Override
    public long readLittleEndian(long gpa, int size) throws GuestMemoryException {
        throw fail(gpa, size);
    }

    @Override
    public void writeLittleEndian(long gpa, int size, long value) throws GuestMemoryException {
        throw fail(gpa, size);
    }
}
