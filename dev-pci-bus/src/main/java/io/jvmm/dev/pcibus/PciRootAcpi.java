package io.jvmm.dev.pcibus;

import io.jvmm.api.device.AcpiNode;
import io.jvmm.api.device.AcpiNode.Const;
import io.jvmm.api.device.AcpiNode.Method;
import io.jvmm.api.device.AcpiNode.Pkg;
import io.jvmm.api.device.AcpiNode.Value;
import io.jvmm.api.device.AcpiNode.Window;
import io.jvmm.api.device.AcpiNode.WindowKind;
import io.jvmm.api.device.PciPlatform;
import java.util.ArrayList;
import java.util.List;

/**
 * Bus 0 as an ACPI OS finds it: the PCI root bridge {@code PCI0} (ACPI 6.x §6.1.5 and the PCI
 * Firmware Specification 3.2 §4.1), {@code _HID} {@code PNP0A03} — a conventional PCI host bridge:
 * there is no MMCONFIG (no MCFG table, no ECAM window), so neither {@code PNP0A08} nor a
 * {@code _CID} — with {@code _UID} 0, segment ({@code _SEG}) 0 and base bus ({@code _BBN}) 0.
 *
 * <p>Its {@code _CRS} is the configuration ports 0xCF8-0xCFF (the bus's own port regions, which the
 * board lists as one IO descriptor) and the windows the bridge forwards: bus numbers 0-0xFF, the
 * I/O ports around the configuration ports (0-0xCF7 and 0xD00-0xFFFF) and the 32-bit memory window
 * of {@link PciPlatform} (below the IOAPIC). Its {@code _PRT} (§6.2.13) routes INTA-D of every slot
 * to the GSI {@link PciPlatform#intxGsi} names, the rule the bus's devices raise their INTx by.
 */
final class PciRootAcpi {
    static final String NAME = "PCI0";
    static final String HID = "PNP0A03";
    /** The I/O window below the configuration ports. */
    static final Window IO_LOW = new Window(WindowKind.PORT_IO, 0x0000, PciBusDevice.CONFIG_ADDRESS - 1);
    /** The I/O window above them (0xCF8-0xCFF, and 0xD00's alignment to a 256-port boundary, as PCs do). */
    static final Window IO_HIGH = new Window(WindowKind.PORT_IO, 0x0D00, 0xFFFF);
    static final List<Window> WINDOWS = List.of(new Window(WindowKind.BUS_NUMBERS, 0x00, 0xFF), IO_LOW, IO_HIGH,
            new Window(WindowKind.MEMORY32, PciPlatform.MMIO32_WINDOW_START, PciPlatform.MMIO32_WINDOW_END));
    /** A _PRT entry's address: the slot in the high word, 0xFFFF ("any function") in the low word. */
    static final int ANY_FUNCTION = 0xFFFF;

    private PciRootAcpi() {}

    /** The root bridge's node. */
    static AcpiNode node() {
        return new AcpiNode(NAME, HID, 0, List.of(), List.of(),
                List.of(new Method("_SEG", new Const(0)), new Method("_BBN", new Const(0)), new Method("_PRT", prt())),
                List.of(), WINDOWS);
    }

    /**
     * {@code Package {Package {0xSSSSFFFF, pin, Zero, gsi}, ...}} for every slot and pin (§6.2.13,
     * Table 6-74: Address, Pin, Source, Source Index; a Source of Zero makes Source Index the GSI the
     * pin is wired to, with no link device in between).
     */
    static Pkg prt() {
        List<Value> entries = new ArrayList<>();
        for (int slot = 0; slot < PciPlatform.SLOTS; slot++) {
            for (int pin = 0; pin < PciPlatform.PINS; pin++) {
                entries.add(new Pkg(List.of(new Const(((long) slot << 16) | ANY_FUNCTION), new Const(pin),
                        new Const(0), new Const(PciPlatform.intxGsi(slot, pin)))));
            }
        }
        return new Pkg(entries);
    }
}
