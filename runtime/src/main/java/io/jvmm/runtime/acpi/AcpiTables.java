package io.jvmm.runtime.acpi;

import java.util.List;

/**
 * The generated ACPI tables as one image for guest memory.
 *
 * @param base the guest-physical address of {@code image}'s first byte (the RSDP)
 * @param image every table at its place, gaps zeroed
 * @param tables each table with its address, in image order (RSDP first)
 */
public record AcpiTables(long base, byte[] image, List<Table> tables) {
    public AcpiTables {
        image = image.clone();
        tables = List.copyOf(tables);
    }

    @Override
    public byte[] image() {
        return image.clone();
    }

    /** Where the RSDP is: what the zero page's {@code acpi_rsdp_addr} and PVH's {@code rsdp_paddr} carry. */
    public long rsdpAddress() {
        return tables.get(0).address();
    }

    /** The table with this signature ({@code RSD PTR } for the RSDP). */
    public Table table(String signature) {
        for (Table t : tables) {
            if (t.signature().equals(signature)) {
                return t;
            }
        }
        throw new IllegalArgumentException("no " + signature + " table");
    }

    /**
     * One table.
     *
     * @param signature its 4-character signature, or {@code RSD PTR } for the RSDP
     * @param address where it is in guest memory
     * @param bytes its bytes, checksum included
     */
    public record Table(String signature, long address, byte[] bytes) {
        public Table {
            bytes = bytes.clone();
        }

        @Override
        public byte[] bytes() {
            return bytes.clone();
        }
    }
}
