package io.jvmm.runtime.acpi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** AML encodings against the bytes iasl produces for the same ASL (ACPI 6.x §20). */
class AmlTest {
    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    private static byte[] enc(Aml... terms) {
        return Aml.encode(List.of(terms));
    }

    @Test
    void integersUseTheShortestForm() {
        assertArrayEquals(hex("00"), enc(new Aml.Int(0)));
        assertArrayEquals(hex("01"), enc(new Aml.Int(1)));
        assertArrayEquals(hex("0A 0F"), enc(new Aml.Int(0x0F)));
        assertArrayEquals(hex("0B F8 03"), enc(new Aml.Int(0x3F8)));
        assertArrayEquals(hex("0C 00 00 C0 FE"), enc(new Aml.Int(0xFEC0_0000L)));
        assertArrayEquals(hex("0E 00 00 00 00 01 00 00 00"), enc(new Aml.Int(1L << 32)));
    }

    @Test
    void eisaIdIsCompressedAsAslDoes() {
        // EisaId("PNP0501") is 0x0105D041, EisaId("PNP0A03") 0x030AD041 (the values every DSDT carries)
        assertEquals(0x0105D041L, new Aml.EisaId("PNP0501").value());
        assertEquals(0x030AD041L, new Aml.EisaId("PNP0A03").value());
        assertArrayEquals(hex("08 5F484944 0C 41D00501"), enc(new Aml.Name("_HID", new Aml.EisaId("PNP0501"))));
        assertThrows(IllegalArgumentException.class, () -> new Aml.EisaId("pnp0501"));
    }

    @Test
    void stringsAreNulTerminated() {
        assertArrayEquals(hex("0D 4143504930303037 00"), enc(new Aml.Str("ACPI0007")));
    }

    @Test
    void s5PackageAsQemuWritesIt() {
        // Name (_S5, Package (0x04) {Zero, Zero, Zero, Zero})
        assertArrayEquals(hex("08 5F53355F 12 06 04 00 00 00 00"), enc(new Aml.Name("\\_S5".substring(1),
                new Aml.Package(List.of(new Aml.Int(0), new Aml.Int(0), new Aml.Int(0), new Aml.Int(0))))));
        assertArrayEquals(hex("08 5C5F53355F 12 06 04 00 00 00 00"), enc(new Aml.Name("\\_S5",
                new Aml.Package(List.of(new Aml.Int(0), new Aml.Int(0), new Aml.Int(0), new Aml.Int(0))))));
    }

    @Test
    void namePaths() {
        assertArrayEquals(hex("5C 00"), Aml.nameString("\\"));
        assertArrayEquals(hex("5C 5F53425F"), Aml.nameString("\\_SB"));
        assertArrayEquals(hex("5C 2E 5F53425F 50434930"), Aml.nameString("\\_SB.PCI0"));
        assertArrayEquals(hex("5E 2F 03 5F53425F 50434930 53463842"), Aml.nameString("^_SB.PCI0.SF8B"));
        assertThrows(IllegalArgumentException.class, () -> Aml.nameString("1ABC"));
        assertThrows(IllegalArgumentException.class, () -> Aml.nameString("ABCDE"));
    }

    @Test
    void scopeDeviceMethod() {
        assertArrayEquals(hex("10 06 5C5F53425F"), enc(new Aml.Scope("\\_SB", List.of())));
        assertArrayEquals(hex("5B82 05 434F4D31"), enc(new Aml.Device("COM1", List.of())));
        // Method (_STA, 0, NotSerialized) { Return (0x0F) }
        assertArrayEquals(hex("14 09 5F535441 00 A4 0A 0F"),
                enc(new Aml.Method("_STA", 0, false, List.of(new Aml.Return(new Aml.Int(0x0F))))));
        assertArrayEquals(hex("14 06 5F505443 09"), enc(new Aml.Method("_PTC", 1, true, List.of())));
    }

    @Test
    void pkgLengthGrowsWithTheBody() {
        // 62 bytes of body: 1-byte PkgLength (63); 63 bytes: 2 bytes (65 = 0x41: lead 0x41, then 0x04)
        byte[] b62 = enc(new Aml.Buffer(new byte[60]));
        assertEquals(0x11, b62[0] & 0xFF);
        assertEquals(63, b62[1] & 0xFF); // body: 0A 3C + 60 bytes = 62
        byte[] b63 = enc(new Aml.Buffer(new byte[61]));
        assertEquals(0x41, b63[1] & 0xFF);
        assertEquals(0x04, b63[2] & 0xFF);
        // 4096-byte buffer body: 0B 00 10 + 4096 = 4099 -> 3-byte length 4102 = 0x1006
        byte[] big = enc(new Aml.Buffer(new byte[4096]));
        assertArrayEquals(hex("11 86 00 01 0B 00 10"), java.util.Arrays.copyOf(big, 7));
        assertEquals(1 + 3 + 3 + 4096, big.length);
    }

    @Test
    void resourceTemplateOfAComPort() {
        // ResourceTemplate () { IO (Decode16, 0x03F8, 0x03F8, 0x01, 0x08) IRQNoFlags () {4} }
        assertArrayEquals(hex("11 10 0A 0D 47 01 F803 F803 01 08 22 1000 79 00"),
                enc(AcpiResource.template(List.of(AcpiResource.Io.fixed(0x3F8, 8), new AcpiResource.IrqNoFlags(4)))));
        // Memory32Fixed (ReadWrite, 0xFEC00000, 0x00001000)
        assertArrayEquals(hex("11 11 0A 0E 86 0900 01 0000C0FE 00100000 79 00"),
                enc(AcpiResource.template(List.of(new AcpiResource.Memory32Fixed(true, 0xFEC0_0000L, 0x1000)))));
        assertArrayEquals(hex("11 08 0A 05 22 0010 79 00"),
                enc(AcpiResource.template(List.of(new AcpiResource.IrqNoFlags(12)))));
    }

    @Test
    void operationRegionAndFieldsAsIaslWritesThem() {
        // OperationRegion (ORM0, SystemMemory, 0xFED3F000, 0x20)
        assertArrayEquals(hex("5B80 4F524D30 00 0C 00F0D3FE 0A 20"),
                enc(new Aml.OperationRegion("ORM0", Aml.RegionSpace.SYSTEM_MEMORY, 0xFED3F000L, 0x20)));
        // OperationRegion (ORP0, SystemIO, 0x60, One)
        assertArrayEquals(hex("5B80 4F525030 01 0A 60 01"),
                enc(new Aml.OperationRegion("ORP0", Aml.RegionSpace.SYSTEM_IO, 0x60, 1)));
        // Field (ORM0, DWordAcc, NoLock, Preserve) { BSTA, 32, Offset (0x08), RATE, 32 }
        assertArrayEquals(hex("5B81 12 4F524D30 03 42535441 20 00 20 52415445 20"),
                enc(new Aml.Field("ORM0", Aml.Access.DWORD, List.of(new Aml.FieldUnit("BSTA", 32),
                        Aml.FieldUnit.reserved(32), new Aml.FieldUnit("RATE", 32)))));
        // Field (ORM0, DWordAcc, NoLock, Preserve) { Offset (0x10), ACON, 32 }: 128 bits need 2 bytes
        assertArrayEquals(hex("5B81 0E 4F524D30 03 00 4008 41434F4E 20"),
                enc(new Aml.Field("ORM0", Aml.Access.DWORD, List.of(Aml.FieldUnit.reserved(128),
                        new Aml.FieldUnit("ACON", 32)))));
        // Field (ORP0, ByteAcc, NoLock, Preserve) { DATA, 8 }
        assertArrayEquals(hex("5B81 0B 4F525030 01 44415441 08"),
                enc(new Aml.Field("ORP0", Aml.Access.BYTE, List.of(new Aml.FieldUnit("DATA", 8)))));
        assertThrows(IllegalArgumentException.class, () -> new Aml.FieldUnit("TOOLONG", 8));
        assertThrows(IllegalArgumentException.class, () -> Aml.Access.ofSize(3));
    }

    @Test
    void storeIndexLocalsAndNotify() {
        // Store (Package (0x02) {Zero, 0x2EE0}, Local0)
        assertArrayEquals(hex("70 12 06 02 00 0B E02E 60"), enc(new Aml.Store(new Aml.Package(List.of(
                new Aml.Int(0), new Aml.Int(0x2EE0))), new Aml.Local(0))));
        // Store (RATE, Index (Local0, Zero)); Return (Local0)
        assertArrayEquals(hex("70 52415445 88 60 00 00 A4 60"), enc(new Aml.Store(new Aml.NameRef("RATE"),
                new Aml.Index(new Aml.Local(0), new Aml.Int(0))), new Aml.Return(new Aml.Local(0))));
        // Store (0x03, \_SB.BAT0.BSTA); Notify (\_SB.BAT0, 0x80)
        assertArrayEquals(hex("70 0A 03 5C 2F 03 5F53425F 42415430 42535441"),
                enc(new Aml.Store(new Aml.Int(3), new Aml.NameRef("\\_SB.BAT0.BSTA"))));
        assertArrayEquals(hex("86 5C 2E 5F53425F 42415430 0A 80"),
                enc(new Aml.Notify(new Aml.NameRef("\\_SB.BAT0"), new Aml.Int(0x80))));
        // Package (0x01) {\_SB}: a reference stays a name
        assertArrayEquals(hex("12 07 01 5C 5F53425F"), enc(new Aml.Package(List.of(new Aml.NameRef("\\_SB")))));
        assertArrayEquals(hex("67 68 6E"), enc(new Aml.Local(7), new Aml.Arg(0), new Aml.Arg(6)));
        assertThrows(IllegalArgumentException.class, () -> new Aml.Local(8));
        assertThrows(IllegalArgumentException.class, () -> new Aml.Arg(7));
    }
}
