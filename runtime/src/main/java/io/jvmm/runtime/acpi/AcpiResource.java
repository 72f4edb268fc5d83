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
