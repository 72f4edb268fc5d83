package io.jvmm.api.device;

import java.nio.ByteBuffer;

/**
 * Guest RAM as a DMA-capable device reaches it (virtqueues, buffers): guest-physical ranges are
 * copied into and out of the caller's arrays and buffers, and ring fields are read and written as
 * little-endian 16/32/64-bit values. Get it from {@link BoardServices#guestMemory()}.
 *
 * <p>Every access is bounds-checked first: a range that is not entirely RAM — below 0 as unsigned
 * never happens, but one that runs past the end of RAM, into the PCI hole, into a ROM overlay, or
 * wraps around 2^64 — fails with a {@link GuestMemoryException} and touches nothing. A guest
 * address comes from the guest and must be treated as hostile: catch the exception and put the
 * device in its error state (or drop the request); never let it reach the vCPU loop.
 *
 * <p>On success nothing is allocated. Safe from any thread; accesses are not atomic with respect to
 * the guest beyond the natural atomicity of aligned 16/32/64-bit accesses.
 */
public interface DmaMemory {
    /** Whether {@code [gpa, gpa + length)} is entirely RAM (false for a negative length or a wrap). */
    boolean isRam(long gpa, long length);

    /** Copies {@code length} bytes at {@code gpa} into {@code target[offset..]}. */
    void read(long gpa, byte[] target, int offset, int length) throws GuestMemoryException;

    /** Copies {@code source[offset..offset + length)} to {@code gpa}. */
    void write(long gpa, byte[] source, int offset, int length) throws GuestMemoryException;

    /**
     * Fills {@code target}'s remaining bytes from {@code gpa} and advances its position; on an
     * exception the buffer is unchanged.
     */
    void read(long gpa, ByteBuffer target) throws GuestMemoryException;

    /** Writes {@code source}'s remaining bytes to {@code gpa} and advances its position. */
    void write(long gpa, ByteBuffer source) throws GuestMemoryException;

    /** Sets {@code length} bytes at {@code gpa} to zero. */
    void zero(long gpa, long length) throws GuestMemoryException;

    /**
     * A buffer that <em>is</em> guest RAM {@code [gpa, gpa + length)} (position 0, limit
     * {@code length}, little-endian), for I/O without a copy in Java: a block device reads a file
     * straight into the guest's buffer with {@code FileChannel.read(view, position)}, so the only
     * copy is the kernel's. Null when this memory cannot give one for that range (it spans two host
     * mappings, or the implementation has none): copy with {@link #read(long, ByteBuffer)} and
     * {@link #write(long, ByteBuffer)} then. Use it at once and drop it: it must not outlive the
     * device's current request (the VM's memory is unmapped when the VM closes). Creating it
     * allocates the buffer object, so it is for device threads, not the vCPU exit path.
     *
     * @throws GuestMemoryException if the range is not entirely RAM
     */
    default ByteBuffer view(long gpa, int length) throws GuestMemoryException {
        if (!isRam(gpa, length)) {
            throw new GuestMemoryException(gpa, length, "not RAM");
        }
        return null;
    }

    /**
     * The unsigned little-endian value of {@code size} bytes (2, 4 or 8) at {@code gpa}, read as one
     * access where the implementation can (ring indices must not tear). What the fixed-width
     * accessors below use: an implementation writes this pair, not six methods.
     */
    long readLittleEndian(long gpa, int size) throws GuestMemoryException;

    /** Writes the low {@code size} bytes (2, 4 or 8) of {@code value} at {@code gpa}, little-endian. */
    void writeLittleEndian(long gpa, int size, long value) throws GuestMemoryException;

    /** The unsigned little-endian 16-bit value at {@code gpa}. */
    default int read16(long gpa) throws GuestMemoryException {
        return (int) readLittleEndian(gpa, 2);
    }

    /** The unsigned little-endian 32-bit value at {@code gpa}. */
    default long read32(long gpa) throws GuestMemoryException {
        return readLittleEndian(gpa, 4);
    }

    /** The little-endian 64-bit value at {@code gpa}. */
    default long read64(long gpa) throws GuestMemoryException {
        return readLittleEndian(gpa, 8);
    }

    /** Writes the low 16 bits of {@code value}, little-endian. */
    default void write16(long gpa, int value) throws GuestMemoryException {
        writeLittleEndian(gpa, 2, value);
    }

    /** Writes the low 32 bits of {@code value}, little-endian. */
    default void write32(long gpa, long value) throws GuestMemoryException {
        writeLittleEndian(gpa, 4, value);
    }

    /** Writes {@code value}, little-endian. */
    default void write64(long gpa, long value) throws GuestMemoryException {
        writeLittleEndian(gpa, 8, value);
    }

    /**
     * Whether {@code [gpa, gpa + length)} is a well-formed range: {@code length >= 0} and the range
     * does not run past 2^64 (addresses compare unsigned). For implementations.
     */
    static boolean validRange(long gpa, long length) {
        return length >= 0 && (length == 0 || Long.compareUnsigned(gpa + length - 1, gpa) >= 0);
    }

    /** A memory without RAM: every access fails. What a board without guest memory hands out. */
    DmaMemory NONE = new NoDmaMemory();
}
