package io.jvmm.runtime.acpi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.AcpiNode;
import io.jvmm.api.device.AcpiPmBlock;
import io.jvmm.api.device.IoRegion;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The generated tables: checksums, pointers, and the fields an OS acts on (ACPI 6.x §5.2). */
class AcpiTablesTest {
    /** dev-pm's block at 0x400 with SCI 9, as PowerManagementDevice declares it. */
    static final AcpiPmBlock PM = new AcpiPmBlock(9, 0x400, 0x404, 0x408, true, 0x40C, 4, 0x433, 1, 0, true);

    static AcpiPlatform pc(int vcpus) {
        return new AcpiPlatform(vcpus, Optional.of(PM), true, true, true, true, 0x32, false, false, List.of(
                new AcpiPlatform.DeviceNode(new AcpiNode("COM1", "PNP0501", 1, List.of(4)),
                        List.of(AcpiResource.Io.fixed(0x3F8, 8), new AcpiResource.IrqNoFlags(4))),
                new AcpiPlatform.DeviceNode(new AcpiNode("COM1", "PNP0501", 2, List.of(3)),
                        List.of(AcpiResource.Io.fixed(0x2F8, 8), new AcpiResource.IrqNoFlags(3)))));
    }

    /** A battery device as dev-battery describes itself: BAT0 and AC__ over one MMIO block, GPE 9. */
    static List<AcpiNode> batteryNodes() {
        AcpiNode bat = new AcpiNode("BAT0", "PNP0C0A", 1, List.of(),
                List.of(mmio("BSTA", 0), mmio("BSTS", 4), mmio("RATE", 8), mmio("REMC", 0xC), mmio("NCLR", 0x18)),
                List.of(new AcpiNode.Method("_STA", new AcpiNode.Read("BSTA")),
                        new AcpiNode.Method("_BIF", new AcpiNode.Pkg(List.of(new AcpiNode.Const(0),
                                new AcpiNode.Const(5000), new AcpiNode.Const(5000), new AcpiNode.Const(1),
                                new AcpiNode.Const(12000), new AcpiNode.Const(500), new AcpiNode.Const(250),
                                new AcpiNode.Const(1), new AcpiNode.Const(1), new AcpiNode.Text("jvmm battery"),
                                new AcpiNode.Text("1"), new AcpiNode.Text("LION"), new AcpiNode.Text("jvmm")))),
                        new AcpiNode.Method("_BST", new AcpiNode.Pkg(List.of(new AcpiNode.Read("BSTS"),
                                new AcpiNode.Read("RATE"), new AcpiNode.Read("REMC"), new AcpiNode.Const(12000))))),
                List.of(new AcpiNode.GpeHandler(9, false, List.of(new AcpiNode.Write("NCLR", 3),
                        new AcpiNode.Notify("BAT0", 0x80), new AcpiNode.Notify("AC__", 0x80)))));
        AcpiNode ac = new AcpiNode("AC__", "ACPI0003", 0, List.of(), List.of(mmio("ACON", 0x10)),
                List.of(new AcpiNode.Method("_PSR", new AcpiNode.Read("ACON")),
                        new AcpiNode.Method("_PCL", new AcpiNode.Pkg(List.of(new AcpiNode.Ref("\\_SB"))))),
                List.of());
        return List.of(bat, ac);
    }

    private static AcpiNode.Register mmio(String name, int offset) {
        return new AcpiNode.Register(name, AcpiNode.Space.MMIO, 0, offset, 4);
    }

    /** {@link #pc(int)} with the battery, an i8042 (keyboard and mouse nodes) and the RTC. */
    static AcpiPlatform laptop(int vcpus) {
        List<IoRegion> battery = List.of(new IoRegion("battery", 0xFED3F000L, 0x20));
        List<AcpiPlatform.DeviceNode> nodes = new java.util.ArrayList<>(pc(vcpus).devices());
        nodes.add(new AcpiPlatform.DeviceNode(batteryNodes().get(0),
                List.of(new AcpiResource.Memory32Fixed(true, 0xFED3F000L, 0x20)), 7, List.of(), battery));
        nodes.add(new AcpiPlatform.DeviceNode(batteryNodes().get(1), List.of(), 7, List.of(), battery));
        nodes.add(new AcpiPlatform.DeviceNode(new AcpiNode("PS2K", "PNP0303", 0, List.of(1)), List.of(
                AcpiResource.Io.fixed(0x60, 1), AcpiResource.Io.fixed(0x64, 1), new AcpiResource.IrqNoFlags(1))));
        nodes.add(new AcpiPlatform.DeviceNode(new AcpiNode("PS2M", "PNP0F13", 0, List.of(12)),
                List.of(new AcpiResource.IrqNoFlags(12))));
        nodes.add(new AcpiPlatform.DeviceNode(new AcpiNode("RTC_", "PNP0B00", 0, List.of(8)),
                List.of(AcpiResource.Io.fixed(0x70, 2), new AcpiResource.IrqNoFlags(8))));
        return new AcpiPlatform(vcpus, Optional.of(PM), true, true, true, true, 0x32, true, false, nodes);
    }

    private static ByteBuffer le(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static int sum(byte[] b, int from, int length) {
        int s = 0;
        for (int i = from; i < from + length; i++) {
            s += b[i];
        }
        return s & 0xFF;
    }

    @Test
    void everyChecksumIsRightAndEveryPointerLeadsToItsTable() {
        AcpiTables t = AcpiTableBuilder.build(pc(2));
        assertEquals(0xE0000, t.rsdpAddress());
        byte[] image = t.image();
        for (AcpiTables.Table table : t.tables()) {
            byte[] b = table.bytes();
            // each table sits in the image at its address
            assertEquals(HexFormat.of().formatHex(b), HexFormat.of().formatHex(java.util.Arrays.copyOfRange(image,
                    (int) (table.address() - t.base()), (int) (table.address() - t.base()) + b.length)));
            switch (table.signature()) {
                case "RSD PTR " -> {
                    assertEquals(0, sum(b, 0, 20), "RSDP checksum");
                    assertEquals(0, sum(b, 0, 36), "RSDP extended checksum");
                    assertEquals(2, b[15]);
                    assertEquals(t.table("XSDT").address(), le(b).getLong(24));
                }
                case "FACS" -> {
                    assertEquals(0, table.address() % 64, "FACS alignment");
                    assertEquals(64, le(b).getInt(4));
                }
                default -> {
                    assertEquals(table.signature(), new String(b, 0, 4, StandardCharsets.US_ASCII));
                    assertEquals(b.length, le(b).getInt(4), table.signature() + " length");
                    assertEquals(0, sum(b, 0, b.length), table.signature() + " checksum");
                }
            }
        }
        ByteBuffer xsdt = le(t.table("XSDT").bytes());
        assertEquals(t.table("FACP").address(), xsdt.getLong(36));
        assertEquals(t.table("APIC").address(), xsdt.getLong(44));
        ByteBuffer fadt = le(t.table("FACP").bytes());
        assertEquals(t.table("FACS").address(), fadt.getInt(36) & 0xFFFFFFFFL);
        assertEquals(t.table("DSDT").address(), fadt.getInt(40) & 0xFFFFFFFFL);
        assertEquals(0, fadt.getLong(132), "X_FIRMWARE_CTRL: only the 32-bit field names the FACS");
        assertEquals(t.table("DSDT").address(), fadt.getLong(140));
        AcpiTables.Table last = t.tables().get(t.tables().size() - 1);
        assertTrue(last.address() + last.bytes().length <= 0x100000);
    }

    @Test
    void fadtDescribesThePmBlock() {
        ByteBuffer f = le(AcpiTableBuilder.build(pc(1)).table("FACP").bytes());
        assertEquals(276, f.capacity());
        assertEquals(6, f.get(8));
        assertEquals(9, f.getShort(46), "SCI_INT");
        assertEquals(0, f.getInt(48), "SMI_CMD: always in ACPI mode");
        assertEquals(0x400, f.getInt(56), "PM1a_EVT_BLK");
        assertEquals(0x404, f.getInt(64), "PM1a_CNT_BLK");
        assertEquals(0x408, f.getInt(76), "PM_TMR_BLK");
        assertEquals(0x40C, f.getInt(80), "GPE0_BLK");
        assertEquals(4, f.get(88));
        assertEquals(2, f.get(89));
        assertEquals(4, f.get(91));
        assertEquals(4, f.get(92));
        assertEquals(0x32, f.get(108), "CENTURY");
        // legacy devices, no 8042, no VGA; MSI_NOT_SUPPORTED (bit 3) clear, so Linux uses MSI-X
        assertEquals(0b101, f.getShort(109));
        int flags = f.getInt(112);
        assertEquals(0, flags & (1 << 20), "not hardware-reduced");
        assertTrue((flags & (1 << 8)) != 0, "32-bit timer");
        assertTrue((flags & (1 << 10)) != 0, "reset register supported");
        assertEquals(0, flags & (1 << 4), "PWR_BUTTON clear: the fixed-feature power button is there");
        assertTrue((flags & (1 << 5)) != 0, "SLP_BUTTON set: no sleep button");
        // RESET_REG: system I/O, 8 bits, byte access, port 0x433; RESET_VALUE 1
        assertEquals("0108000133040000" + "00000000", HexFormat.of().formatHex(
                AcpiTableBuilder.build(pc(1)).table("FACP").bytes(), 116, 128));
        assertEquals(1, f.get(128));
        // X_PM1a_EVT_BLK: I/O, 32 bits at 0x400
        assertEquals(1, f.get(148));
        assertEquals(32, f.get(149));
        assertEquals(0x400, f.getLong(152));
        assertEquals(0x408, f.getLong(212), "X_PM_TMR_BLK");
    }

    @Test
    void aPmBlockWithoutTheFixedPowerButtonSaysSo() {
        AcpiPmBlock noButton = new AcpiPmBlock(9, 0x400, 0x404, 0x408, true, 0x40C, 4, 0x433, 1, 0);
        AcpiPlatform p = new AcpiPlatform(1, Optional.of(noButton), true, true, true, true, 0x32, false, false,
                List.of());
        assertTrue((le(AcpiTableBuilder.build(p).table("FACP").bytes()).getInt(112) & (1 << 4)) != 0, "PWR_BUTTON set");
    }

    @Test
    void withoutAPmBlockTheFadtIsHardwareReduced() {
        AcpiPlatform p = new AcpiPlatform(1, Optional.empty(), true, false, false, false, 0, false, false, List.of());
        AcpiTables t = AcpiTableBuilder.build(p);
        ByteBuffer f = le(t.table("FACP").bytes());
        assertTrue((f.getInt(112) & (1 << 20)) != 0);
        assertEquals(0, f.getInt(56));
        assertFalse(t.tables().stream().anyMatch(x -> x.signature().equals("FACS")));
        // no _S5 without a PM block
        assertFalse(new String(t.table("DSDT").bytes(), StandardCharsets.ISO_8859_1).contains("_S5_"));
        // no PIC: no PCAT_COMPAT; no PIT: no IRQ 0 override
        ByteBuffer m = le(t.table("APIC").bytes());
        assertEquals(0, m.getInt(40));
        assertEquals(36 + 8 + 8 + 12 + 6, m.capacity());
    }

    @Test
    void madtHasEveryProcessorTheIoapicAndThePcOverrides() {
        ByteBuffer m = le(AcpiTableBuilder.build(pc(3)).table("APIC").bytes());
        assertEquals(0xFEE00000, m.getInt(36));
        assertEquals(1, m.getInt(40), "PCAT_COMPAT");
        int at = 44;
        for (int i = 0; i < 3; i++) {
            assertEquals(0, m.get(at));
            assertEquals(8, m.get(at + 1));
            assertEquals(i, m.get(at + 2), "UID");
            assertEquals(i, m.get(at + 3), "APIC ID");
            assertEquals(1, m.getInt(at + 4), "enabled");
            at += 8;
        }
        assertEquals(1, m.get(at));
        assertEquals(0, m.get(at + 2), "IOAPIC id as KVM's in-kernel IOAPIC resets it");
        assertEquals(0xFEC00000, m.getInt(at + 4));
        assertEquals(0, m.getInt(at + 8));
        at += 12;
        // IRQ 0 -> GSI 2, conforming
        assertEquals("020a0000" + "02000000" + "0000", HexFormat.of().formatHex(m.array(), at, at + 10));
        at += 10;
        // SCI: IRQ 9 -> GSI 9, level, active high
        assertEquals("020a0009" + "09000000" + "0d00", HexFormat.of().formatHex(m.array(), at, at + 10));
        at += 10;
        assertEquals("0406ff000001", HexFormat.of().formatHex(m.array(), at, at + 6));
        assertEquals(at + 6, m.capacity());
    }

    @Test
    void dsdtHasProcessorsDevicesWithUniqueNamesAndS5() {
        byte[] dsdt = AcpiTableBuilder.build(pc(2)).table("DSDT").bytes();
        String text = new String(dsdt, StandardCharsets.ISO_8859_1);
        assertTrue(text.contains("C000") && text.contains("C001") && text.contains("ACPI0007"));
        assertTrue(text.contains("COM1"));
        assertTrue(text.contains("COM0"), "the second COM1 is renamed");
        // Name (\_S5, Package (0x04) {Zero, Zero, Zero, Zero}) ends the table
        assertTrue(HexFormat.of().formatHex(dsdt).endsWith("085c5f53355f12060400000000"));
        assertEquals("COM0", AcpiTableBuilder.uniqueName("COM1", Set.of("COM1")));
        assertEquals("COM2", AcpiTableBuilder.uniqueName("COM2", Set.of("COM1")));
    }

    @Test
    void tablesThatDoNotFitAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> AcpiTableBuilder.build(pc(255), 0xFFF00, 0x100000));
    }

    @Test
    void batteryNodesGetRegistersMethodsAndAGpeMethod() {
        byte[] dsdt = AcpiTableBuilder.build(laptop(1)).table("DSDT").bytes();
        String hex = HexFormat.of().formatHex(dsdt);
        // OperationRegion (ORM0, SystemMemory, 0xFED3F000, 0x20) in both nodes
        String region = "5b804f524d30000c00f0d3fe0a20";
        assertEquals(2, hex.split(region, -1).length - 1);
        // _BST builds its package at run time: Store (Package (4) {0, 0, 0, 12000}, Local0), then
        // Store (BSTS, Index (Local0, Zero)) ...
        assertTrue(hex.contains("701208040000000be02e60"), hex);
        assertTrue(hex.contains("7042535453" + "88600000"), hex);
        assertTrue(hex.contains("a460"), hex);
        // \_GPE._E09 { Store (3, \_SB.BAT0.NCLR); Notify (\_SB.BAT0, 0x80); Notify (\_SB.AC__, 0x80) }
        String e09 = "5f453039" + "00" + "700a03" + "5c2f035f53425f42415430" + "4e434c52"
                + "865c2e5f53425f424154300a80" + "865c2e5f53425f41435f5f0a80";
        assertTrue(hex.contains(e09), hex);
        assertTrue(hex.contains("5c5f475045"), "\\_GPE scope");
        // only the battery's first node lists the MMIO block in _CRS
        assertEquals(1, hex.split("8609000100f0d3fe20000000", -1).length - 1);
    }

    @Test
    void badRegistersAndNotifyTargetsAreRefused() {
        AcpiNode node = new AcpiNode("BAT0", "PNP0C0A", 1, List.of(), List.of(mmio("BSTA", 0x40)),
                List.of(new AcpiNode.Method("_STA", new AcpiNode.Read("BSTA"))), List.of());
        List<IoRegion> small = List.of(new IoRegion("battery", 0xFED3F000L, 0x20));
        AcpiPlatform outside = new AcpiPlatform(1, Optional.of(PM), true, true, true, true, 0, false, false,
                List.of(new AcpiPlatform.DeviceNode(node, List.of(), 0, List.of(), small)));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AcpiTableBuilder.build(outside)).getMessage()
                .contains("does not fit"));
        AcpiNode stranger = new AcpiNode("BAT0", "PNP0C0A", 1, List.of(), List.of(), List.of(),
                List.of(new AcpiNode.GpeHandler(9, false, List.of(new AcpiNode.Notify("COM1", 0x80)))));
        AcpiPlatform notOurs = new AcpiPlatform(1, Optional.of(PM), true, true, true, true, 0, false, false,
                List.of(new AcpiPlatform.DeviceNode(new AcpiNode("COM1", "PNP0501", 1, List.of(4)), List.of(), 0,
                        List.of(), List.of()), new AcpiPlatform.DeviceNode(stranger, List.of(), 1, List.of(), small)));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AcpiTableBuilder.build(notOurs)).getMessage()
                .contains("not a node of the same device"));
        // a method reading an undeclared register is refused by the api record itself
        assertThrows(IllegalArgumentException.class, () -> new AcpiNode("BAT0", "PNP0C0A", 1, List.of(), List.of(),
                List.of(new AcpiNode.Method("_STA", new AcpiNode.Read("BSTA"))), List.of()));
        // a GPE beyond the PM block's 16 is left out, not an error
        AcpiNode far = new AcpiNode("BAT0", "PNP0C0A", 1, List.of(), List.of(), List.of(),
                List.of(new AcpiNode.GpeHandler(40, false, List.of(new AcpiNode.Notify("BAT0", 0x80)))));
        byte[] dsdt = AcpiTableBuilder.build(new AcpiPlatform(1, Optional.of(PM), true, true, true, true, 0, false,
                false, List.of(new AcpiPlatform.DeviceNode(far, List.of())))).table("DSDT").bytes();
        assertFalse(new String(dsdt, StandardCharsets.ISO_8859_1).contains("_GPE"));
        // a GPE method writing a value its register cannot hold
        AcpiNode wide = new AcpiNode("BAT0", "PNP0C0A", 1, List.of(),
                List.of(new AcpiNode.Register("NCLR", AcpiNode.Space.MMIO, 0, 0, 1)), List.of(),
                List.of(new AcpiNode.GpeHandler(9, false, List.of(new AcpiNode.Write("NCLR", 0x100)))));
        AcpiPlatform tooWide = new AcpiPlatform(1, Optional.of(PM), true, true, true, true, 0, false, false,
                List.of(new AcpiPlatform.DeviceNode(wide, List.of(), 0, List.of(), small)));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AcpiTableBuilder.build(tooWide)).getMessage()
                .contains("writes 0x100 to the 1-byte register NCLR"));
    }
}
