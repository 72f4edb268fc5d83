package io.jvmm.api.device;

import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * How a device appears in the guest's ACPI namespace (a {@code Device} object under {@code \_SB} in
 * the DSDT), so an ACPI OS finds it without probing. The board writes the node: {@code _HID},
 * {@code _UID} and a {@code _CRS} made from the device's declared port and MMIO regions (ACPI 6.x
 * §6.4.2.5 I/O port descriptor, §6.4.3.4 32-bit fixed memory descriptor) plus {@link #irqs()}
 * (§6.4.2.1 IRQ descriptor, ISA-style: edge-triggered, active high).
 *
 * @param name the preferred 4-character ACPI name ({@code [A-Z_][A-Z0-9_]{3}}, e.g. {@code COM1});
 *     the board renames a node whose name another node already uses and says so in its log
 * @param hid the hardware ID: a 7-character EISA/PNP ID such as {@code PNP0501} (encoded as
 *     {@code EisaId}) or an 8-character ACPI ID such as {@code ACPI0007} (a string)
 * @param uid the unique ID among devices of the same {@code _HID}, at least 0
 * @param irqs the ISA IRQ lines the device drives (0..15), in {@code _CRS} order
 */
public record AcpiNode(String name, String hid, int uid, List<Integer> irqs) {
    private static final Pattern NAME = Pattern.compile("[A-Z_][A-Z0-9_]{3}");
    private static final Pattern EISA_ID = Pattern.compile("[A-Z]{3}[0-9A-F]{4}");
    private static final Pattern ACPI_ID = Pattern.compile("[A-Z0-9_]{4}[0-9A-F]{4}");

    public AcpiNode {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(hid, "hid");
        irqs = List.copyOf(irqs);
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("ACPI name '" + name + "' is not 4 characters of A-Z, 0-9 and _ "
                    + "(not starting with a digit)");
        }
        if (!isEisaId(hid) && !ACPI_ID.matcher(hid).matches()) {
            throw new IllegalArgumentException("_HID '" + hid + "' is neither a PNP ID (3 letters, 4 hex digits) "
                    + "nor an ACPI ID (4 characters, 4 hex digits)");
        }
        if (uid < 0) {
            throw new IllegalArgumentException("_UID must not be negative, was " + uid);
        }
        for (int irq : irqs) {
            if (irq < 0 || irq > 15) {
                throw new IllegalArgumentException("IRQ " + irq + " is not an ISA IRQ (0..15)");
            }
        }
    }

    /** Whether {@code hid} is a PNP/EISA ID, which ACPI encodes as a compressed 32-bit integer. */
    public static boolean isEisaId(String hid) {
        return EISA_ID.matcher(hid).matches();
    }
}
