package io.jvmm.runtime.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.PciPlatform;
import io.jvmm.runtime.loader.E820Entry.Type;
import java.util.List;
import org.junit.jupiter.api.Test;

class X86LayoutTest {
    private static final long MIB = 1L << 20;
    private static final long GIB = 1L << 30;
    /** The IOAPIC's page: the platform MMIO at the top of the hole starts there. */
    private static final long PLATFORM = 0xFEC0_0000L;

    @Test
    void smallVmHasLowRamOnly() {
        assertEquals(List.of(
                new E820Entry(0, 0x9fc00, Type.RAM),
                new E820Entry(0x9fc00, 0x60400, Type.RESERVED),
                new E820Entry(0x100000, 256 * MIB - 0x100000, Type.RAM),
                new E820Entry(PLATFORM, 4 * GIB - PLATFORM, Type.RESERVED)), X86Layout.e820(256 * MIB));
    }

    @Test
    void ramPastThreeGibMovesAboveFourGib() {
        assertEquals(List.of(
                new E820Entry(0, 0x9fc00, Type.RAM),
                new E820Entry(0x9fc00, 0x60400, Type.RESERVED),
                new E820Entry(0x100000, 3 * GIB - 0x100000, Type.RAM),
                new E820Entry(PLATFORM, 4 * GIB - PLATFORM, Type.RESERVED),
                new E820Entry(4 * GIB, 3 * GIB, Type.RAM)), X86Layout.e820(6 * GIB));
    }

    @Test
    void exactlyThreeGibHasNoHighRam() {
        List<E820Entry> map = X86Layout.e820(3 * GIB);
        assertEquals(4, map.size());
        assertEquals(3 * GIB, map.get(2).end());
    }

    @Test
    void oneMibVmHasNoRamAboveTheLegacyArea() {
        assertEquals(List.of(
                new E820Entry(0, 0x9fc00, Type.RAM),
                new E820Entry(0x9fc00, 0x60400, Type.RESERVED),
                new E820Entry(PLATFORM, 4 * GIB - PLATFORM, Type.RESERVED)), X86Layout.e820(MIB));
        assertThrows(IllegalArgumentException.class, () -> X86Layout.e820(MIB - 4096));
    }

    @Test
    void ramQueriesFollowTheHole() {
        long ram = 5 * GIB;
        assertTrue(X86Layout.isRam(ram, 0, 3 * GIB));
        assertFalse(X86Layout.isRam(ram, 3 * GIB - 4096, 8192));
        assertFalse(X86Layout.isRam(ram, 0xFFFF_0000L, 0x1000));
        assertTrue(X86Layout.isRam(ram, 4 * GIB, 2 * GIB));
        assertFalse(X86Layout.isRam(ram, 4 * GIB, 2 * GIB + 1));
        assertFalse(X86Layout.isRam(ram, -1, 1));
        assertFalse(X86Layout.isRam(ram, Long.MAX_VALUE, 2));
        assertEquals(3 * GIB, X86Layout.lowRamEnd(ram));
        assertEquals(2 * GIB, X86Layout.highRamSize(ram));
        assertEquals(0, X86Layout.highRamSize(GIB));
    }

    @Test
    void bootStructuresDoNotOverlap() {
        long[][] ranges = {
            {X86Layout.GDT_ADDR, 32},
            {X86Layout.IDT_ADDR, 8},
            {X86Layout.PVH_START_INFO_ADDR, 56},
            {X86Layout.PVH_MODLIST_ADDR, 32},
            {X86Layout.ZERO_PAGE_ADDR, 4096},
            {X86Layout.BOOT_STACK_POINTER - 0x1000 + 0x10, 0x1000 - 0x10},
            {X86Layout.PML4_ADDR, 4096},
            {X86Layout.PDPT_ADDR, 4096},
            {X86Layout.PD_ADDR, 4096L * X86Layout.PD_COUNT},
            {X86Layout.CMDLINE_ADDR, X86Layout.EBDA_START - X86Layout.CMDLINE_ADDR},
        };
        for (int i = 0; i < ranges.length; i++) {
            for (int j = i + 1; j < ranges.length; j++) {
                boolean overlap = ranges[i][0] < ranges[j][0] + ranges[j][1] && ranges[j][0] < ranges[i][0] + ranges[i][1];
                assertFalse(overlap, "structures " + i + " and " + j + " overlap");
            }
        }
        assertTrue(X86Layout.PD_ADDR + 4096L * X86Layout.PD_COUNT <= 0xf000);
    }

    @Test
    void thePciWindowIsTheHoleBelowThePlatformMmioAndNoE820EntryTouchesIt() {
        assertEquals(X86Layout.MMIO_HOLE_START, PciPlatform.MMIO32_WINDOW_START);
        assertEquals(PLATFORM, PciPlatform.MMIO32_WINDOW_END + 1, "the window ends below the IOAPIC");
        for (long ram : List.of(MIB, 256 * MIB, 3 * GIB, 6 * GIB)) {
            for (E820Entry e : X86Layout.e820(ram)) {
                assertTrue(e.end() <= PciPlatform.MMIO32_WINDOW_START || e.addr() > PciPlatform.MMIO32_WINDOW_END,
                        e + " overlaps the PCI window with " + ram + " bytes of RAM");
            }
        }
        // IOAPIC, battery, LAPIC and the largest firmware ROM (256 KiB below 4 GiB) are above it
        for (long platform : List.of(0xFEC0_0000L, 0xFED3_F000L, 0xFEE0_0000L, 4 * GIB - 256 * 1024)) {
            assertTrue(platform > PciPlatform.MMIO32_WINDOW_END);
        }
    }
}
