package io.jvmm.dev.pcibus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.AcpiNode;
import io.jvmm.api.device.AcpiNode.Const;
import io.jvmm.api.device.AcpiNode.Pkg;
import io.jvmm.api.device.AcpiNode.Window;
import io.jvmm.api.device.AcpiNode.WindowKind;
import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.PciPlatform;
import io.jvmm.api.handles.EmptyHandle;
import io.jvmm.testkit.FakeBoard;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The bus's ACPI node, as a board built with the resolver sees it: PCI0, its windows and its _PRT. */
class PciRootAcpiTest {
    private final FakeBoard board = new FakeBoard();
    private final ChipsetDevice device = new PciBusResolver().resolve(EmptyHandle.INSTANCE,
            board.context("pci-bus"));

    private AcpiNode node() {
        board.attach(device);
        List<AcpiNode> nodes = device.capabilities().acpiNodes();
        assertEquals(1, nodes.size());
        return nodes.get(0);
    }

    @Test
    void theBusIsAConventionalPciRootBridgeOfSegmentZeroBusZero() {
        AcpiNode n = node();
        assertEquals("PCI0", n.name());
        assertEquals("PNP0A03", n.hid(), "no MMCONFIG, so not PNP0A08");
        assertEquals(0, n.uid());
        assertTrue(n.irqs().isEmpty() && n.registers().isEmpty() && n.gpeHandlers().isEmpty());
        assertEquals(List.of("_SEG", "_BBN", "_PRT"), n.methods().stream().map(AcpiNode.Method::name).toList());
        assertEquals(new Const(0), n.methods().get(0).result());
        assertEquals(new Const(0), n.methods().get(1).result());
        // the config ports, all within 0xCF8-0xCFF (0xCF9 is the reset control register, another
        // device's): the board lists the bridge's resource as that whole range (ChipsetAcpi)
        assertEquals(List.of(FakeBoard.Claim.pio("config_address", 0xCF8, 0xCF8),
                FakeBoard.Claim.pio("config_address_high", 0xCFA, 0xCFB),
                FakeBoard.Claim.pio("config_data", 0xCFC, 0xCFF)), board.pioClaims());
    }

    @Test
    void windowsAreAllBusesThePortsAroundTheConfigPortsAndThePciMemoryWindow() {
        assertEquals(List.of(new Window(WindowKind.BUS_NUMBERS, 0, 0xFF),
                new Window(WindowKind.PORT_IO, 0, 0xCF7), new Window(WindowKind.PORT_IO, 0xD00, 0xFFFF),
                new Window(WindowKind.MEMORY32, 0xC000_0000L, 0xFEBF_FFFFL)), node().windows());
        assertTrue(0xFEC0_0000L > PciPlatform.MMIO32_WINDOW_END, "the IOAPIC is outside the window");
        assertTrue(0xFEE0_0000L > PciPlatform.MMIO32_WINDOW_END, "the LAPIC is outside the window");
    }

    @Test
    void prtRoutesEveryPinOfEverySlotByTheSwizzle() {
        Pkg prt = (Pkg) node().methods().get(2).result();
        assertEquals(32 * 4, prt.elements().size());
        Set<Long> seen = new HashSet<>();
        for (int slot = 0; slot < 32; slot++) {
            for (int pin = 0; pin < 4; pin++) {
                Pkg entry = (Pkg) prt.elements().get(slot * 4 + pin);
                long gsi = 16 + (slot + pin) % 4;
                assertEquals(List.of(new Const((long) slot << 16 | 0xFFFF), new Const(pin), new Const(0),
                        new Const(gsi)), entry.elements(), "slot " + slot + " INT" + (char) ('A' + pin));
                assertEquals(gsi, PciPlatform.intxGsi(slot, pin), "the _PRT is the rule devices raise INTx by");
                seen.add(gsi);
            }
        }
        assertEquals(Set.of(16L, 17L, 18L, 19L), seen, "above the ISA IRQs, within the IOAPIC's 24 pins");
        assertThrows(IllegalArgumentException.class, () -> PciPlatform.intxGsi(32, 0));
        assertThrows(IllegalArgumentException.class, () -> PciPlatform.intxGsi(0, 4));
    }
}
