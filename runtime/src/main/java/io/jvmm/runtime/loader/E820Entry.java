package io.jvmm.runtime.loader;

import java.util.Objects;

/**
 * One entry of the x86 physical memory map given to the guest (zero page or PVH memmap).
 *
 * @param addr first byte
 * @param size length in bytes, positive
 * @param type what the range is
 */
public record E820Entry(long addr, long size, Type type) {
    /** The e820 range types jvmm reports; {@link #code()} is the value in the guest's table. */
    public enum Type {
        RAM(1),
        RESERVED(2);

        private final int code;

        Type(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }
    }

    public E820Entry {
        Objects.requireNonNull(type, "type");
        if (addr < 0 || size <= 0 || addr + size < addr) {
            throw new IllegalArgumentException("bad e820 range 0x" + Long.toHexString(addr) + " + " + size);
        }
    }

    /** One past the last byte. */
    public long end() {
        return addr + size;
    }

    @Override
    public String toString() {
        return "[" + Hex.of(addr) + ", " + Hex.of(end()) + ") " + type;
    }
}
