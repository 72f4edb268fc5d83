package io.jvmm.runtime.acpi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.AcpiNode;
import io.jvmm.api.device.AcpiNode.Const;
import io.jvmm.api.device.AcpiNode.Pkg;
import io.jvmm.api.device.AcpiNode.Window;
import io.jvmm.api.device.AcpiNode.WindowKind;
import io.jvmm.api.device.Capabilities;
import io.jvmm.api.device.IoRegion;
import io.jvmm.api.device.IoResult;
import io.jvmm.api.device.PciPlatform;
import io.jvmm.api.device.PortIoIntercept;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A PCI root bridge's node as the board writes it: the address space descriptors of its windows
 * against the bytes iasl 20221020 produces for the same ASL (ACPI 6.x §6.4.3.5), a {@code _PRT}
 * package of packages (§6.2.13), the configuration ports as one IO descriptor, and a DSDT holding
 * such a node that {@code iasl -d} disassembles cleanly and that recompiles without errors, warnings
 * or remarks. The node is the one dev-pci-bus declares (its own test checks that side).
 */
class PciRootAcpiTest {
    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    private static byte[] enc(Aml... terms) {
        return Aml.encode(List.of(terms));
    }

    /** The node dev-pci-bus declares (PciRootAcpi): PCI0, PNP0A03, _SEG, _BBN, _PRT and four windows. */
    static AcpiNode pci0() {
        List<AcpiNode.Value> prt = new ArrayList<>();
        for (int slot = 0; slot < 32; slot++) {
            for (int pin = 0; pin < 4; pin++) {
                prt.add(new Pkg(List.of(new Const((long) slot << 16 | 0xFFFF), new Const(pin), new Const(0),
                        new Const(PciPlatform.intxGsi(slot, pin)))));
            }
        }
        return new AcpiNode("PCI0", "PNP0A03", 0, List.of(), List.of(),
                List.of(new AcpiNode.Method("_SEG", new Const(0)), new AcpiNode.Method("_BBN", new Const(0)),
                        new AcpiNode.Method("_PRT", new Pkg(prt))),
                List.of(), List.of(new Window(WindowKind.BUS_NUMBERS, 0, 0xFF), new Window(WindowKind.PORT_IO, 0, 0xCF7),
                        new Window(WindowKind.PORT_IO, 0xD00, 0xFFFF),
                        new Window(WindowKind.MEMORY32, PciPlatform.MMIO32_WINDOW_START, PciPlatform.MMIO32_WINDOW_END)));
    }

    /** The bus device's capabilities: its port regions as dev-pci-bus claims them. */
    private static Capabilities bus(AcpiNode node) {
        PortIoIntercept ports = new PortIoIntercept() {
            @Override
            public List<IoRegion> pioRegions() {
                // As dev-pci-bus claims them: 0xCF9 is the reset control register, another device's.
                return List.of(new IoRegion("config_address", 0xCF8, 1), new IoRegion("config_address_high", 0xCFA, 2),
                        new IoRegion("config_data", 0xCFC, 4));
            }

            @Override
            public IoResult ioRead(int region, int offset, byte[] data) {
                return IoResult.OK;
            }

            @Override
            public IoResult ioWrite(int region, int offset, byte[] data) {
                return IoResult.OK;
            }
        };
        return Capabilities.builder().portIo(ports).acpiNode(node).build();
    }

    @Test
    void addressSpaceDescriptorsAsIaslWritesThem() {
        // WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode, 0x0000, 0x0000, 0x00FF, 0x0000, 0x0100)
        assertArrayEquals(hex("11 15 0A 12 88 0D00 02 0C 00 0000 0000 FF00 0000 0001 79 00"),
                enc(AcpiResource.template(List.of(new AcpiResource.WordBusNumber(0, 0xFF)))));
        // WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange, 0x0000, 0x0000, 0x0CF7, 0x0000, 0x0CF8)
        assertArrayEquals(hex("11 15 0A 12 88 0D00 01 0C 03 0000 0000 F70C 0000 F80C 79 00"),
                enc(AcpiResource.template(List.of(new AcpiResource.WordIo(0, 0xCF7)))));
        // WordIO (..., 0x0000, 0x0D00, 0xFFFF, 0x0000, 0xF300)
        assertArrayEquals(hex("11 15 0A 12 88 0D00 01 0C 03 0000 000D FFFF 0000 00F3 79 00"),
                enc(AcpiResource.template(List.of(new AcpiResource.WordIo(0xD00, 0xFFFF)))));
        // DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite,
        //     0x00000000, 0xC0000000, 0xFEBFFFFF, 0x00000000, 0x3EC00000)
        assertArrayEquals(hex("11 1F 0A 1C 87 1700 00 0C 01 00000000 000000C0 FFFFBFFE 00000000 0000C03E 79 00"),
                enc(AcpiResource.template(List.of(new AcpiResource.DWordMemory(0xC000_0000L, 0xFEBF_FFFFL)))));
        assertThrows(IllegalArgumentException.class, () -> new AcpiResource.WordIo(0, 0xFFFF), "_LEN is 16 bits");
        assertThrows(IllegalArgumentException.class, () -> new AcpiResource.WordBusNumber(0, 0x100));
        assertThrows(IllegalArgumentException.class, () -> new AcpiResource.DWordMemory(0, 1L << 32));
        assertThrows(IllegalArgumentException.class, () -> new Window(WindowKind.PORT_IO, 0, 0x10000));
    }

    @Test
    void prtIsAPackageOfPackagesAsIaslWritesIt() {
        // Return (Package (0x02) { Package (0x04) { 0xFFFF, Zero, Zero, 0x10 },
        //                          Package (0x04) { 0x0001FFFF, 0x03, Zero, 0x10 } })
        assertArrayEquals(hex("A4 12 19 02 12 09 04 0B FFFF 00 00 0A 10 12 0C 04 0C FFFF0100 0A 03 00 0A 10"),
                enc(AcpiTableBuilder.returning(new Pkg(List.of(
                        new Pkg(List.of(new Const(0xFFFF), new Const(0), new Const(0), new Const(16))),
                        new Pkg(List.of(new Const(0x1FFFF), new Const(3), new Const(0), new Const(16))))))
                        .toArray(Aml[]::new)));
    }

    @Test
    void crsIsTheConfigPortsAsOneRangeThenTheWindows() {
        AcpiNode node = pci0();
        assertEquals(List.of(AcpiResource.Io.fixed(0xCF8, 8), new AcpiResource.WordBusNumber(0, 0xFF),
                new AcpiResource.WordIo(0, 0xCF7), new AcpiResource.WordIo(0xD00, 0xFFFF),
                new AcpiResource.DWordMemory(0xC000_0000L, 0xFEBF_FFFFL)), ChipsetAcpi.resources(bus(node), node));
    }

    @Test
    void aDsdtWithTheRootBridgeDisassemblesAndRecompilesCleanly(@TempDir Path dir) throws Exception {
        Path iasl = null;
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            if (Files.isExecutable(Path.of(d, "iasl"))) {
                iasl = Path.of(d, "iasl");
                break;
            }
        }
        Assumptions.assumeTrue(iasl != null, "iasl not installed (Debian: apt-get install acpica-tools): "
                + "cannot check the DSDT with ACPICA's disassembler");
        AcpiNode node = pci0();
        List<AcpiPlatform.DeviceNode> nodes = new ArrayList<>(AcpiTablesTest.laptop(2).devices());
        nodes.add(new AcpiPlatform.DeviceNode(node, ChipsetAcpi.resources(bus(node), node)));
        AcpiPlatform p = AcpiTablesTest.laptop(2);
        AcpiPlatform platform = new AcpiPlatform(p.vcpus(), p.pm(), p.ioapic(), p.pic(), p.pit(), p.rtc(),
                p.rtcCenturyIndex(), p.i8042(), p.vga(), nodes);
        Files.write(dir.resolve("dsdt.dat"), AcpiTableBuilder.dsdt(platform));
        String out = run(dir, iasl.toString(), "-d", "dsdt.dat");
        String listing = Files.readString(dir.resolve("dsdt.dsl"), StandardCharsets.ISO_8859_1);
        String lower = (out + listing).toLowerCase(Locale.ROOT);
        assertTrue(!lower.contains("error") && !lower.contains("warning") && !lower.contains("invalid")
                && !lower.contains("incorrect"), out + "\n" + listing);
        String compiled = run(dir, iasl.toString(), "-p", "recompiled", "dsdt.dsl");
        assertTrue(compiled.contains("0 Errors, 0 Warnings, 0 Remarks"), compiled + "\n" + listing);
        // without iasl's comments ("// Range Minimum", "/* PCI Bus */"), one line
        String flat = listing.replaceAll("//[^\n]*", "").replaceAll("/\\*.*?\\*/", "").replaceAll("\\s+", " ");
        for (String expected : List.of("Device (PCI0)", "Name (_HID, EisaId (\"PNP0A03\")",
                "IO (Decode16, 0x0CF8, 0x0CF8, 0x01, 0x08, )",
                "WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode, 0x0000, 0x0000, 0x00FF, 0x0000, 0x0100,",
                "WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange, 0x0000, 0x0000, 0x0CF7, "
                        + "0x0000, 0x0CF8,",
                "WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange, 0x0000, 0x0D00, 0xFFFF, "
                        + "0x0000, 0xF300,",
                "DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite, 0x00000000, "
                        + "0xC0000000, 0xFEBFFFFF, 0x00000000, 0x3EC00000,",
                "Method (_PRT, 0, NotSerialized)", "Package (0x04) { 0x0001FFFF, 0x03, Zero, 0x10 }",
                "Package (0x04) { 0x001FFFFF, 0x03, Zero, 0x12 }")) {
            assertTrue(flat.contains(expected), "no '" + expected + "' in\n" + listing);
        }
    }

    private static String run(Path dir, String... command) throws Exception {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "iasl timed out");
        assertEquals(0, p.exitValue(), () -> String.join(" ", command) + " failed:\n" + out);
        return out;
    }
}
