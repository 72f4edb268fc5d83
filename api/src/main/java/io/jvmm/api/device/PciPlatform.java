package io.jvmm.api.device;

/**
 * The facts of x86 PCI bus 0 that the bus's ACPI description and the devices on the bus must agree
 * on, stated once: the 32-bit memory window the host bridge forwards (where BARs go) and which GSI
 * each device slot's INTx pin drives. The PCI root bridge's {@code _CRS} and {@code _PRT}
 * (dev-pci-bus) are made from these, the runtime's x86 memory layout keeps RAM and e820
 * reservations out of the window, and a PCI device that raises INTx, or a BAR allocator, takes its
 * numbers from here, so the guest OS and the board cannot disagree.
 */
public final class PciPlatform {
    /**
     * First byte of the 32-bit PCI memory window: the start of the x86 MMIO hole, where RAM that
     * does not fit below it stops (RAM fills [0, 3 GiB), the rest continues at 4 GiB).
     */
    public static final long MMIO32_WINDOW_START = 0xC000_0000L;
    /**
     * Last byte of the 32-bit PCI memory window (inclusive): just below the IOAPIC at 0xFEC00000.
     * Above it the platform's own MMIO lives — IOAPIC, the battery at 0xFED3F000, LAPIC at
     * 0xFEE00000, the firmware ROM just below 4 GiB — which the host bridge does not forward.
     */
    public static final long MMIO32_WINDOW_END = 0xFEBF_FFFFL;
    /** The first GSI PCI INTx lines are routed to: the IOAPIC pins above the 16 ISA IRQs. */
    public static final int INTX_GSI_BASE = 16;
    /** How many GSIs the INTx lines share (16..19 of KVM's 24 IOAPIC pins). */
    public static final int INTX_GSI_COUNT = 4;
    /** Device slots on a PCI bus. */
    public static final int SLOTS = 32;
    /** Interrupt pins per slot: INTA..INTD. */
    public static final int PINS = 4;

    private PciPlatform() {}

    /**
     * The GSI that INTx pin {@code pin} of any function in bus-0 slot {@code device} drives: the
     * usual swizzle {@code 16 + (device + pin) mod 4}, so the four pins of one slot, and the INTA
     * of neighbouring slots, land on different lines. Level-triggered and shared, as PCI INTx is
     * (PCI Local Bus 3.0 §2.2.6); a device asserts it by driving its line in {@link LineSets#IRQ}
     * high. The root bridge's {@code _PRT} (ACPI 6.x §6.2.13) lists exactly this mapping.
     *
     * @param device the slot, 0..31
     * @param pin 0 for INTA .. 3 for INTD (the config-space Interrupt Pin register's value minus 1)
     * @return a GSI in [{@link #INTX_GSI_BASE}, {@link #INTX_GSI_BASE} + {@link #INTX_GSI_COUNT})
     */
    public static int intxGsi(int device, int pin) {
        if (device < 0 || device >= SLOTS) {
            throw new IllegalArgumentException("PCI device " + device + " outside 0..31");
        }
        if (pin < 0 || pin >= PINS) {
            throw new IllegalArgumentException("INTx pin " + pin + " outside 0 (INTA)..3 (INTD)");
        }
        return INTX_GSI_BASE + (device + pin) % INTX_GSI_COUNT;
    }
}
