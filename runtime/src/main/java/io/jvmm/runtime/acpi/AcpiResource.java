package io.jvmm.runtime.acpi;

import java.io.ByteArrayOutputStream;
import java.util.List;

/**
 * A resource descriptor of a {@code ResourceTemplate} (ACPI 6.x §6.4, "Resource Data Types for
 * ACPI"), as {@code _CRS} returns it. {@link #template(List)} makes the buffer, end tag included.
 */
public sealed interface AcpiResource {
    void encodeTo(ByteArrayOutputStream out);

    /**
     * {@code IO(Decode16, min, max, align, length)}: the small I/O port descriptor (§6.4.2.5), tag
     * 0x47 (type 0x08, 7 bytes), with the 16-bit decode flag set.
     */
    record Io(int min, int max, int alignment, int length) implements AcpiResource {
        public Io {
            if (min < 0 || max > 0xFFFF || max < min || alignment < 0 || alignment > 0xFF || length < 0
                    || length > 0xFF) {
                throw new IllegalArgumentException(String.format("bad IO descriptor 0x%x..0x%x align %d length %d",
                        min, max, alignment, length));
            }
        }

        /** A fixed range: min = max = {@code start}, byte-aligned. */
        public static Io fixed(int start, int length) {
            return new Io(start, start, 1, length);
        }

        @Override
        public void encodeTo(ByteArrayOutputStream out) {
            out.write(0x47);
            out.write(0x01); // decodes 16 address bits
            out.write(min & 0xFF);
            out.write(min >>> 8);
            out.write(max & 0xFF);
            out.write(max >>> 8);
            out.write(alignment);
            out.write(length);
        }
    }

    /**
     * {@code IRQNoFlags() {irq}}: the 2-byte IRQ descriptor (§6.4.2.1), tag 0x22, a 16-bit mask;
     * without the flags byte it means edge-triggered, active high, exclusive (the ISA default).
     */
    record IrqNoFlags(int irq) implements AcpiResource {
        public IrqNoFlags {
            if (irq < 0 || irq > 15) {
                throw new IllegalArgumentException("IRQ " + irq + " is not 0..15");
            }
        }

        @Override
        public void encodeTo(ByteArrayOutputStream out) {
            out.write(0x22);
            out.write((1 << irq) & 0xFF);
            out.write((1 << irq) >>> 8);
        }
    }

    /**
     * {@code Memory32Fixed(ReadWrite|ReadOnly, base, length)}: the large 32-bit fixed memory range
     * descriptor (§6.4.3.4), tag 0x86, 9 bytes of data.
     */
    record Memory32Fixed(boolean writable, long base, long length) implements AcpiResource {
        public Memory32Fixed {
            if (base < 0 || length < 0 || base + length > (1L << 32)) {
                throw new IllegalArgumentException(String.format("Memory32Fixed 0x%x + 0x%x is not below 4 GiB",
                        base, length));
            }
        }

        @Override
        public void encodeTo(ByteArrayOutputStream out) {
            out.write(0x86);
            out.write(9);
            out.write(0);
            out.write(writable ? 1 : 0);
            for (int k = 0; k < 4; k++) {
                out.write((int) (base >>> (8 * k)) & 0xFF);
            }
            for (int k = 0; k < 4; k++) {
                out.write((int) (length >>> (8 * k)) & 0xFF);
            }
        }
    }

    /**
     * {@code WordBusNumber(ResourceProducer, MinFixed, MaxFixed, PosDecode, 0, min, max, 0, length)}:
     * the Word Address Space Descriptor (§6.4.3.5.3) of resource type 2, bus number range.
     */
    record WordBusNumber(int min, int max) implements AcpiResource {
        public WordBusNumber {
            checkRange("WordBusNumber", min, max, 0xFF);
        }

        @Override
        public void encodeTo(ByteArrayOutputStream out) {
            wordAddressSpace(out, TYPE_BUS_NUMBER, 0, min, max);
        }
    }

    /**
     * {@code WordIO(ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange, 0, min, max, 0,
     * length)}: the Word Address Space Descriptor (§6.4.3.5.3) of resource type 1, I/O; type-specific
     * flags _RNG = 3 (§6.4.3.5.4, Table 6-255: both ISA and non-ISA ranges).
     */
    record WordIo(int min, int max) implements AcpiResource {
        public WordIo {
            checkRange("WordIO", min, max, 0xFFFF);
        }

        @Override
        public void encodeTo(ByteArrayOutputStream out) {
            wordAddressSpace(out, TYPE_IO, IO_ENTIRE_RANGE, min, max);
        }
    }

    /**
     * {@code DWordMemory(ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite, 0,
     * min, max, 0, length)}: the DWord Address Space Descriptor (§6.4.3.5.2), tag 0x87, 23 bytes of
     * data, resource type 0, memory; type-specific flags (§6.4.3.5.4, Table 6-254) _RW = 1
     * (read-write), _MEM = 0 (non-cacheable), _MTP = 0 (AddressRangeMemory).
     */
    record DWordMemory(long min, long max) implements AcpiResource {
        public DWordMemory {
            if (min < 0 || max < min || max > 0xFFFF_FFFFL) {
                throw new IllegalArgumentException(String.format("DWordMemory 0x%x..0x%x is not below 4 GiB",
                        min, max));
            }
        }

        @Override
        public void encodeTo(ByteArrayOutputStream out) {
            out.write(0x87);
            out.write(23);
            out.write(0);
            out.write(TYPE_MEMORY);
            out.write(PRODUCER_MIN_MAX_FIXED);
            out.write(MEMORY_READ_WRITE);
            le(out, 0, 4); // _GRA
            le(out, min, 4);
            le(out, max, 4);
            le(out, 0, 4); // _TRA
            le(out, max - min + 1, 4); // _LEN
        }
    }

    /** Address space resource types (§6.4.3.5, byte 3 of the descriptors). */
    int TYPE_MEMORY = 0;
    int TYPE_IO = 1;
    int TYPE_BUS_NUMBER = 2;
    /**
     * General flags (§6.4.3.5.2, byte 4): _MAF (bit 3) and _MIF (bit 2) set, _DEC (bit 1) 0 =
     * positive decode, bit 0 0 = the device produces the resource for those behind it.
     */
    int PRODUCER_MIN_MAX_FIXED = 0x0C;
    /** I/O type-specific flags: _RNG = 3, the window covers ISA and non-ISA addresses. */
    int IO_ENTIRE_RANGE = 0x03;
    /** Memory type-specific flags: _RW = 1, everything else 0. */
    int MEMORY_READ_WRITE = 0x01;

    private static void checkRange(String what, int min, int max, int limit) {
        if (min < 0 || max < min || max > limit || max - min + 1 > 0xFFFF) {
            // a Word descriptor's _LEN is 16 bits: all 64 Ki ports in one descriptor do not fit
            throw new IllegalArgumentException(String.format("%s 0x%x..0x%x is not within 0..0x%x or is longer "
                    + "than 0xFFFF", what, min, max, limit));
        }
    }

    /** Tag 0x88, 13 bytes: type, general flags, type flags, _GRA, _MIN, _MAX, _TRA, _LEN (16 bits each). */
    private static void wordAddressSpace(ByteArrayOutputStream out, int type, int typeFlags, int min, int max) {
        out.write(0x88);
        out.write(13);
        out.write(0);
        out.write(type);
        out.write(PRODUCER_MIN_MAX_FIXED);
        out.write(typeFlags);
        le(out, 0, 2); // _GRA
        le(out, min, 2);
        le(out, max, 2);
        le(out, 0, 2); // _TRA
        le(out, max - min + 1, 2); // _LEN
    }

    private static void le(ByteArrayOutputStream out, long value, int bytes) {
        for (int k = 0; k < bytes; k++) {
            out.write((int) (value >>> (8 * k)) & 0xFF);
        }
    }

    /**
     * {@code ResourceTemplate() {resources}}: a Buffer of the descriptors and the end tag (§6.4.2.9,
     * 0x79 and a checksum byte; 0 means "treat as valid", which is what iasl writes).
     */
    static Aml.Buffer template(List<? extends AcpiResource> resources) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (AcpiResource r : resources) {
            r.encodeTo(out);
        }
        out.write(0x79);
        out.write(0x00);
        return new Aml.Buffer(out.toByteArray());
    }
}
