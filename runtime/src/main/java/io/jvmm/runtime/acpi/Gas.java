package io.jvmm.runtime.acpi;

import java.nio.ByteBuffer;

/**
 * A Generic Address Structure (ACPI 6.x §5.2.3.2), 12 bytes: address space, register bit width,
 * bit offset, access size, 64-bit address.
 *
 * @param spaceId 0 system memory, 1 system I/O
 * @param bitWidth the register's width in bits
 * @param bitOffset the register's offset within the address, in bits
 * @param accessSize 0 undefined (legacy), 1 byte, 2 word, 3 dword, 4 qword
 * @param address the register's address, 0 for "not present"
 */
public record Gas(int spaceId, int bitWidth, int bitOffset, int accessSize, long address) {
    public static final int SYSTEM_IO = 1;
    public static final int SIZE = 12;
    /** The all-zero structure: no register. */
    public static final Gas NONE = new Gas(0, 0, 0, 0, 0);

    /** A register in the port I/O space {@code bytes} wide, accessed as the FADT's legacy blocks are. */
    public static Gas io(int port, int bytes, int accessSize) {
        return new Gas(SYSTEM_IO, bytes * 8, 0, accessSize, port);
    }

    void put(ByteBuffer b, int offset) {
        b.put(offset, (byte) spaceId);
        b.put(offset + 1, (byte) bitWidth);
        b.put(offset + 2, (byte) bitOffset);
        b.put(offset + 3, (byte) accessSize);
        b.putLong(offset + 4, address);
    }
}
