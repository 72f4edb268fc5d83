package io.jvmm.runtime.board;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class IoRangeMapTest {
    @Test
    void findsOwnersAtInclusiveBoundsAndNothingBetween() {
        IoRangeMap.Builder<String> b = IoRangeMap.builder("mmio");
        assertTrue(b.add(new Region("hpet", "regs", 0xfed0_0000L, 0xfed0_03ffL), "hpet"));
        assertTrue(b.add(new Region("ioapic", "regs", 0xfec0_0000L, 0xfec0_0fffL), "ioapic"));
        assertTrue(b.add(new Region("top", "regs", 0xffff_ffff_ffff_f000L, -1L), "top"));
        assertTrue(b.add(new Region("zero", "regs", 0, 0), "zero"));
        IoRangeMap<String> m = b.build();
        assertEquals("zero", m.find(0));
        assertNull(m.find(1));
        assertEquals("ioapic", m.find(0xfec0_0000L));
        assertEquals("ioapic", m.find(0xfec0_0fffL));
        assertNull(m.find(0xfec0_1000L));
        assertNull(m.find(0xfecf_ffffL));
        assertEquals("hpet", m.find(0xfed0_0000L));
        assertEquals("hpet", m.find(0xfed0_03ffL));
        assertNull(m.find(0xfed0_0400L));
        // Addresses above Long.MAX_VALUE compare unsigned.
        assertEquals("top", m.find(-1L));
        assertEquals("top", m.find(0xffff_ffff_ffff_f000L));
        assertNull(m.find(0xffff_ffff_ffff_efffL));
        assertNull(m.find(Long.MAX_VALUE));
        assertEquals(List.of("zero", "ioapic", "hpet", "top"),
                m.regions().stream().map(Region::device).toList());
    }

    @Test
    void emptyMapFindsNothing() {
        IoRangeMap<String> m = IoRangeMap.<String>builder("pio").build();
        assertNull(m.find(0));
        assertNull(m.find(-1));
    }

    @Test
    void everyConflictIsCollectedNamingBothSides() {
        IoRangeMap.Builder<String> b = IoRangeMap.builder("pio");
        assertTrue(b.add(new Region("com1", "uart", 0x3f8, 0x3ff), "com1"));
        assertFalse(b.add(new Region("com1b", "uart", 0x3f8, 0x3ff), "com1b"));
        assertFalse(b.add(new Region("wide", "all", 0x3f0, 0x400), "wide"));
        assertTrue(b.add(new Region("rtc", "cmos", 0x70, 0x71), "rtc"));
        assertEquals(List.of(
                "static pio intercept region conflict: com1b/uart:0x3f8-0x3ff conflicts with existing"
                        + " com1/uart:0x3f8-0x3ff",
                "static pio intercept region conflict: wide/all:0x3f0-0x400 conflicts with existing"
                        + " com1/uart:0x3f8-0x3ff"), b.conflicts());
        // The losing claims are not mapped.
        IoRangeMap<String> m = b.build();
        assertNull(m.find(0x3f0));
        assertEquals("com1", m.find(0x3fa));
    }

    @Test
    void newClaimOverlappingTwoExistingReportsBoth() {
        IoRangeMap.Builder<String> b = IoRangeMap.builder("mmio");
        b.add(new Region("a", "r", 0x1000, 0x1fff), "a");
        b.add(new Region("b", "r", 0x2000, 0x2fff), "b");
        b.add(new Region("c", "r", 0x1800, 0x27ff), "c");
        assertEquals(2, b.conflicts().size());
        assertTrue(b.conflicts().get(0).contains("c/r:0x1800-0x27ff conflicts with existing a/r:0x1000-0x1fff"));
        assertTrue(b.conflicts().get(1).contains("c/r:0x1800-0x27ff conflicts with existing b/r:0x2000-0x2fff"));
        assertTrue(b.conflicts().get(0).startsWith("static mmio intercept region conflict: "));
    }

    @Test
    void pioTableMapsEveryPortOfARange() {
        IoRangeMap.Builder<String> b = IoRangeMap.builder("pio");
        b.add(new Region("pic", "master", 0x20, 0x21), "pic");
        b.add(new Region("last", "port", 0xffff, 0xffff), "last");
        PioRangeMap<String> m = new PioRangeMap<>(b.build());
        assertNull(m.find(0x1f));
        assertEquals("pic", m.find(0x20));
        assertEquals("pic", m.find(0x21));
        assertNull(m.find(0x22));
        assertEquals("last", m.find(0xffff));
        assertEquals("master", m.regionAt(0x21).region());
    }

    @Test
    void pioTableRejectsRangesOutsidePortSpace() {
        IoRangeMap.Builder<String> b = IoRangeMap.builder("pio");
        b.add(new Region("big", "r", 0xff00, 0x1_0000), "big");
        assertThrows(IllegalArgumentException.class, () -> new PioRangeMap<>(b.build()));
    }
}
