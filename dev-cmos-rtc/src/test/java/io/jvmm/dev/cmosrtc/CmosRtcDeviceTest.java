package io.jvmm.dev.cmosrtc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.IoResult;
import io.jvmm.api.device.LineSets;
import io.jvmm.api.device.PortIoIntercept;
import io.jvmm.api.device.SavedStateBlob;
import io.jvmm.api.handles.CmosRtcHandle;
import io.jvmm.api.resource.ConfigException;
import io.jvmm.testkit.AllocationMeter;
import io.jvmm.testkit.FakeBoard;
import io.jvmm.testkit.FakeBus;
import io.jvmm.testkit.FakeClock;
import io.jvmm.testkit.FakeLine;
import io.jvmm.testkit.MapConfig;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CmosRtcDeviceTest {
    /** Friday 2024-05-17 10:20:30 UTC, at VM-clock nanos 1e9 (a whole second: tick-aligned). */
    private static final Instant START = Instant.parse("2024-05-17T10:20:30Z");

    private FakeBoard board = new FakeBoard(new FakeClock(1_000_000_000L, START));
    private ChipsetDevice device = resolve(CmosRtcHandle.DEFAULT);
    private FakeBus io = board.attach(device);
    private FakeLine irq = board.line(LineSets.IRQ, 8);

    private ChipsetDevice resolve(CmosRtcHandle handle) {
        return new CmosRtcResolver().resolve(handle, board.context("test-device"));
    }

    private void useDevice(Instant wall, CmosRtcHandle handle) {
        board = new FakeBoard(new FakeClock(1_000_000_000L, wall));
        device = resolve(handle);
        io = board.attach(device);
        irq = board.line(LineSets.IRQ, 8);
    }

    private int reg(int index) {
        assertSame(IoResult.OK, io.ioWrite(0x70, new byte[] {(byte) index}));
        byte[] d = new byte[1];
        assertSame(IoResult.OK, io.ioRead(0x71, d));
        return d[0] & 0xFF;
    }

    private void setReg(int index, int value) {
        assertSame(IoResult.OK, io.ioWrite(0x70, new byte[] {(byte) index}));
        assertSame(IoResult.OK, io.ioWrite(0x71, new byte[] {(byte) value}));
    }

    private void advanceMillis(long ms) {
        board.clock().advance(Duration.ofMillis(ms));
    }

    private void poll() {
        device.capabilities().pollDevice().orElseThrow().poll();
    }

    /** sec, min, hour, dow, dom, month, year, century as the registers show them. */
    private int[] time() {
        return new int[] {reg(0), reg(2), reg(4), reg(6), reg(7), reg(8), reg(9), reg(0x32)};
    }

    @Test
    void resolverClaimsPortsAndIrq8() {
        assertEquals(List.of(FakeBoard.Claim.pio("rtc", 0x70, 0x71)), board.pioClaims());
        assertEquals("rtc", irq.label());
        assertEquals(1, board.lines().size());
        assertEquals("generic_cmos_rtc", new CmosRtcResolver().id());
    }

    @Test
    void parseHandle() {
        CmosRtcResolver r = new CmosRtcResolver();
        assertEquals(CmosRtcHandle.DEFAULT, r.parseHandle(new MapConfig(Map.of())));
        CmosRtcHandle h = r.parseHandle(new MapConfig(Map.of("memory_bytes", 1L << 30, "utc_offset", "-05:30")));
        assertEquals(1L << 30, h.memoryBytes());
        assertEquals(ZoneOffset.ofHoursMinutes(-5, -30), h.utcOffset());
        ConfigException e = assertThrows(ConfigException.class,
                () -> r.parseHandle(new MapConfig(Map.of("utc_offset", "CET"))));
        assertTrue(e.getMessage().contains("\"+01:00\""), e.getMessage());
    }

    @Test
    void powerOnRegisters() {
        assertEquals(0x26, reg(0x0A));
        assertEquals(0x02, reg(0x0B));
        assertEquals(0x00, reg(0x0C));
        assertEquals(0x80, reg(0x0D));
        assertFalse(irq.level());
    }

    @Test
    void bcdTimeFromHostClock() {
        // Friday = 6 (Sunday = 1).
        assertEquals(List.of(0x30, 0x20, 0x10, 0x06, 0x17, 0x05, 0x24, 0x20), List.of(box(time())));
        advanceMillis(29_500);
        assertEquals(0x59, reg(0));
        advanceMillis(500);
        assertEquals(0x00, reg(0));
        assertEquals(0x21, reg(2));
    }

    @Test
    void binaryMode() {
        setReg(0x0B, 0x06);
        assertEquals(List.of(30, 20, 10, 6, 17, 5, 24, 20), List.of(box(time())));
    }

    @Test
    void utcOffsetOption() {
        useDevice(START, new CmosRtcHandle(0, ZoneOffset.ofHours(-11)));
        // 10:20 UTC - 11 h = 23:20 the day before (Thursday the 16th).
        assertEquals(List.of(0x30, 0x20, 0x23, 0x05, 0x16, 0x05, 0x24, 0x20), List.of(box(time())));
    }

    @Test
    void twelveHourModeEdges() {
        int[][] cases = { // hour24, BCD 12h, binary 12h
            {0, 0x12, 12}, {1, 0x01, 1}, {11, 0x11, 11}, {12, 0x92, 0x8C}, {13, 0x81, 0x81}, {23, 0x91, 0x8B}
        };
        for (int[] c : cases) {
            useDevice(Instant.parse(String.format("2024-05-17T%02d:00:00Z", c[0])), CmosRtcHandle.DEFAULT);
            setReg(0x0B, 0x00); // BCD, 12 h
            assertEquals(c[1], reg(4), "BCD 12h for hour " + c[0]);
            setReg(0x0B, 0x04); // binary, 12 h
            assertEquals(c[2], reg(4), "binary 12h for hour " + c[0]);
        }
    }

    @Test
    void writingHoursInTwelveHourMode() {
        setReg(0x0B, 0x80); // SET, BCD, 12 h
        setReg(4, 0x12); // 12 AM
        setReg(0x0B, 0x82);
        assertEquals(0x00, reg(4), "midnight");
        setReg(0x0B, 0x80);
        setReg(4, 0x92); // 12 PM
        setReg(0x0B, 0x82);
        assertEquals(0x12, reg(4), "noon");
        setReg(0x0B, 0x80);
        setReg(4, 0x87); // 7 PM
        setReg(0x0B, 0x82);
        assertEquals(0x19, reg(4));
    }

    @Test
    void uipWindowIsTheLast244MicrosecondsOfEachSecond() {
        board.clock().advanceNanos(999_755_999L);
        assertEquals(0x26, reg(0x0A));
        board.clock().advanceNanos(1);
        assertEquals(0xA6, reg(0x0A), "UIP set 244 us before the update");
        assertEquals(0x30, reg(0), "time not yet updated");
        board.clock().advanceNanos(243_999);
        assertEquals(0xA6, reg(0x0A));
        board.clock().advanceNanos(1);
        assertEquals(0x26, reg(0x0A), "update done");
        assertEquals(0x31, reg(0));
    }

    @Test
    void guestPollingUipWaitsAtMostTheWindow() {
        for (long startOffset : new long[] {0, 500_000_000L, 999_756_000L, 999_999_999L}) {
            useDevice(START, CmosRtcHandle.DEFAULT);
            board.clock().advanceNanos(startOffset);
            int polls = 0;
            while ((reg(0x0A) & 0x80) != 0) {
                board.clock().advanceNanos(1_000);
                assertTrue(++polls <= 245, "UIP stuck after " + polls + " us");
            }
        }
    }

    @Test
    void setBitFreezesTimeAndWritesBecomeAnOffset() {
        setReg(0x0B, 0x12); // UIE on
        setReg(0x0B, 0x92); // SET: also clears UIE
        assertEquals(0x82, reg(0x0B));
        setReg(0x32, 0x19);
        setReg(9, 0x99);
        setReg(8, 0x12);
        setReg(7, 0x31);
        setReg(4, 0x23);
        setReg(2, 0x59);
        setReg(0, 0x58);
        advanceMillis(5_000);
        assertEquals(List.of(0x58, 0x59, 0x23, 0x06, 0x31, 0x12, 0x99, 0x19), List.of(box(time())),
                "time stands still while SET (1999-12-31 was a Friday)");
        board.clock().advanceNanos(999_900_000L);
        assertEquals(0x26, reg(0x0A), "no UIP while SET");
        setReg(0x0B, 0x02);
        advanceMillis(1_500);
        assertEquals(List.of(0x59, 0x59, 0x23, 0x06, 0x31, 0x12, 0x99, 0x19), List.of(box(time())));
        advanceMillis(1_000);
        assertEquals(List.of(0x00, 0x00, 0x00, 0x07, 0x01, 0x01, 0x00, 0x20), List.of(box(time())),
                "2000-01-01, a Saturday: the century register follows the clock");
    }

    @Test
    void yearRolloverCarriesIntoCentury() {
        useDevice(Instant.parse("2099-12-31T23:59:59Z"), CmosRtcHandle.DEFAULT);
        advanceMillis(1_000);
        assertEquals(List.of(0x00, 0x00, 0x00, 0x06, 0x01, 0x01, 0x00, 0x21), List.of(box(time())));
    }

    @Test
    void centuryWriteChangesTheYear() {
        setReg(0x32, 0x19);
        assertEquals(0x19, reg(0x32));
        assertEquals(0x24, reg(9));
        assertEquals(0x07, reg(6), "1924-05-17 was a Saturday");
    }

    @Test
    void invalidDayRollsOverIntoNextMonth() {
        setReg(0x0B, 0x82);
        setReg(8, 0x06);
        setReg(7, 0x31); // 31 June
        setReg(0x0B, 0x02);
        assertEquals(0x07, reg(8));
        assertEquals(0x01, reg(7));
    }

    @Test
    void writesWithoutSetTakeEffectAtOnce() {
        advanceMillis(400);
        setReg(2, 0x45);
        assertEquals(0x45, reg(2));
        assertEquals(0x30, reg(0));
        advanceMillis(999);
        assertEquals(0x30, reg(0), "the written second starts at the write");
        advanceMillis(1);
        assertEquals(0x31, reg(0));
    }

    @Test
    void dividerResetHaltsAndFirstUpdateIsHalfASecondLater() {
        setReg(0x0A, 0x70 | 0x06);
        advanceMillis(3_000);
        assertEquals(0x30, reg(0));
        assertEquals(0x76, reg(0x0A), "divider and rate bits stored");
        setReg(0x0A, 0x26);
        advanceMillis(499);
        assertEquals(0x30, reg(0));
        advanceMillis(1);
        assertEquals(0x31, reg(0));
    }

    @Test
    void registerCClearsOnRead() {
        setReg(0x0A, 0x2F); // 2 Hz periodic flag, interrupts off
        advanceMillis(1_000);
        assertEquals(0x50, reg(0x0C), "PF and UF set regardless of enables, IRQF clear");
        assertEquals(0x00, reg(0x0C));
        assertFalse(irq.level());
    }

    @Test
    void registersCAndDAreReadOnly() {
        setReg(0x0C, 0xFF);
        setReg(0x0D, 0x00);
        assertEquals(0x00, reg(0x0C));
        assertEquals(0x80, reg(0x0D));
    }

    @Test
    void periodicInterruptRaisesIrq8FromPoll() {
        setReg(0x0A, 0x26); // 1024 Hz
        setReg(0x0B, 0x42); // PIE
        assertTrue(board.waker().wakes() > 0, "enabling an interrupt wakes the poll");
        poll();
        assertFalse(irq.level());
        assertEquals(976_563L, board.waker().lastDelay().toNanos(), "next 1/1024 s tick");
        board.clock().advanceNanos(976_562L);
        poll();
        assertFalse(irq.level(), "one nanosecond early");
        board.clock().advanceNanos(1);
        poll();
        assertTrue(irq.level());
        assertEquals(1, irq.risingEdges());
        int timers = board.waker().timers();
        poll();
        assertEquals(timers, board.waker().timers(), "no timer while the line is held");
        int wakes = board.waker().wakes();
        assertEquals(0xC0, reg(0x0C));
        assertFalse(irq.level());
        assertEquals(wakes + 1, board.waker().wakes(), "reading C re-arms the poll");
    }

    @Test
    void periodicRates() {
        // First nanosecond of the period's last tick: ceil(period * 1e9 / 32768).
        long[] periodNanos = {0, 3_906_250L, 7_812_500L, 122_071L, 244_141L, 488_282L, 976_563L,
            1_953_125L, 3_906_250L, 7_812_500L, 15_625_000L, 31_250_000L, 62_500_000L,
            125_000_000L, 250_000_000L, 500_000_000L};
        for (int rate = 1; rate <= 15; rate++) {
            useDevice(START, CmosRtcHandle.DEFAULT);
            setReg(0x0A, 0x20 | rate);
            reg(0x0C);
            board.clock().advanceNanos(periodNanos[rate] - 1);
            assertEquals(0, reg(0x0C) & 0x40, "rate " + rate + " early");
            board.clock().advanceNanos(1);
            assertEquals(0x40, reg(0x0C) & 0x40, "rate " + rate + " on time");
        }
        useDevice(START, CmosRtcHandle.DEFAULT);
        setReg(0x0A, 0x20);
        advanceMillis(2_000);
        assertEquals(0, reg(0x0C) & 0x40, "rate 0: no periodic flag");
    }

    @Test
    void updateEndedInterrupt() {
        setReg(0x0A, 0x20); // no periodic flag: this test is about UF and AF
        advanceMillis(250);
        setReg(0x0B, 0x12); // UIE
        poll();
        assertEquals(750_000_000L, board.waker().lastDelay().toNanos());
        advanceMillis(750);
        poll();
        assertTrue(irq.level());
        assertEquals(0x90, reg(0x0C));
        assertFalse(irq.level());
    }

    @Test
    void alarmInterrupt() {
        setReg(0x0A, 0x20); // no periodic flag: this test is about UF and AF
        setReg(0x01, 0x32);
        setReg(0x03, 0x20);
        setReg(0x05, 0x10); // 10:20:32
        setReg(0x0B, 0x22); // AIE
        advanceMillis(1_000);
        poll();
        assertFalse(irq.level(), "10:20:31: no match; UF is set but UIE is off");
        advanceMillis(1_000);
        poll();
        assertTrue(irq.level());
        assertEquals(0xB0, reg(0x0C));
        advanceMillis(60_000);
        assertEquals(0x10, reg(0x0C), "next day only; UF only");
    }

    @Test
    void alarmDontCareAndLazyEvaluation() {
        setReg(0x0A, 0x20); // no periodic flag: this test is about UF and AF
        setReg(0x01, 0x00);
        setReg(0x03, 0xC0);
        setReg(0x05, 0xFF); // every minute at :00
        advanceMillis(29_000);
        assertEquals(0x10, reg(0x0C));
        advanceMillis(1_000); // 10:21:00, never polled
        assertEquals(0x30, reg(0x0C));
        advanceMillis(3 * 3_600_000L); // hours without a read: still found
        assertEquals(0x30, reg(0x0C));
    }

    @Test
    void twelveHourAlarmComparesEncodedHours() {
        setReg(0x0A, 0x20); // no periodic flag: this test is about UF and AF
        setReg(0x0B, 0x00); // BCD, 12 h
        setReg(0x01, 0xC0);
        setReg(0x03, 0xC0);
        setReg(0x05, 0x10); // 10 AM
        advanceMillis(1_000);
        assertEquals(0x30, reg(0x0C));
        setReg(0x05, 0x90); // 10 PM
        advanceMillis(1_000);
        assertEquals(0x10, reg(0x0C));
    }

    @Test
    void nmiMaskBitIsStoredAndNotPartOfTheIndex() {
        CmosRtcDevice rtc = (CmosRtcDevice) device;
        io.ioWrite(0x70, new byte[] {(byte) 0x8B});
        assertTrue(rtc.nmiMasked());
        byte[] d = new byte[1];
        io.ioRead(0x71, d);
        assertEquals(0x02, d[0], "register B through a masked index");
        io.ioRead(0x70, d);
        assertEquals((byte) 0x8B, d[0]);
        io.ioWrite(0x70, new byte[] {0x0B});
        assertFalse(rtc.nmiMasked());
    }

    @Test
    void wordAccessWritesIndexThenData() {
        io.ioWrite(0x70, new byte[] {0x40, 0x5A});
        assertEquals(0x5A, reg(0x40));
        byte[] two = new byte[2];
        io.ioWrite(0x70, new byte[] {0x40});
        io.ioRead(0x70, two);
        assertEquals(0x40, two[0]);
        assertEquals(0x5A, two[1]);
    }

    @Test
    void cmosRamReadWrite() {
        for (int i = 0x0E; i < 0x80; i++) {
            if (i != 0x32) {
                setReg(i, i ^ 0xA5);
            }
        }
        for (int i = 0x0E; i < 0x80; i++) {
            if (i != 0x32) {
                assertEquals(i ^ 0xA5, reg(i), "RAM byte 0x" + Integer.toHexString(i));
            }
        }
        setReg(0x01, 0x77);
        assertEquals(0x77, reg(0x01), "alarm registers are plain storage");
    }

    @Test
    void memorySizeBytes() {
        long mib = 1L << 20;
        // memory, 0x30/0x31 (KiB above 1 MiB), 0x34/0x35 (64 KiB above 16 MiB), 0x5b-0x5d (64 KiB above 4 GiB)
        long[][] cases = {
            {0, 0, 0, 0},
            {64 * mib, 63 * 1024, 48 * 16, 0},
            {16 * mib, 15 * 1024, 0, 0},
            {2048 * mib, 0xFFFF, 2032 * 16, 0},
            {3072 * mib, 0xFFFF, 3056 * 16, 0},
            {8192 * mib, 0xFFFF, 3056 * 16, 5120 * 16},
        };
        for (long[] c : cases) {
            useDevice(START, new CmosRtcHandle(c[0], ZoneOffset.UTC));
            String what = (c[0] / mib) + " MiB";
            assertEquals(c[1], reg(0x30) | reg(0x31) << 8, what + " ext");
            assertEquals(c[2], reg(0x34) | reg(0x35) << 8, what + " above 16M");
            assertEquals(c[3], reg(0x5B) | reg(0x5C) << 8 | reg(0x5D) << 16, what + " above 4G");
        }
    }

    @Test
    void resetRestoresControlRegistersKeepsRamAndTime() {
        setReg(0x0B, 0x80);
        setReg(9, 0x30); // 2030
        setReg(0x0B, 0x56); // PIE, UIE, binary
        setReg(0x0A, 0x2F);
        setReg(0x50, 0x99);
        advanceMillis(700);
        poll();
        assertTrue(irq.level());
        device.capabilities().lifecycle().orElseThrow().reset();
        assertFalse(irq.level());
        assertEquals(0x26, reg(0x0A) & 0x7F);
        assertEquals(0x02, reg(0x0B));
        assertEquals(0x00, reg(0x0C));
        assertEquals(0x99, reg(0x50));
        assertEquals(0x30, reg(9), "the guest's year survives");
    }

    @Test
    void resetWhileSetResumesTheClock() {
        setReg(0x0B, 0x82);
        setReg(0, 0x05);
        device.capabilities().lifecycle().orElseThrow().reset();
        advanceMillis(1_000);
        assertEquals(0x06, reg(0));
    }

    @Test
    void startFollowsHostClockAndKeepsGuestOffset() {
        setReg(9, 0x25); // one year ahead
        board.clock().stepWallClock(Duration.ofHours(1)); // host clock stepped
        assertEquals(0x10, reg(4), "not noticed until the VM starts");
        device.capabilities().lifecycle().orElseThrow().start();
        assertEquals(0x11, reg(4));
        assertEquals(0x25, reg(9));
    }

    @Test
    void saveRestoreRoundTrip() {
        setReg(0x0B, 0x80);
        setReg(9, 0x31); // 2031: the guest runs seven years ahead of the host
        setReg(0x0B, 0x26); // AIE, binary, 24 h
        setReg(0x0A, 0x20);
        setReg(0x01, 0xC0);
        setReg(0x03, 0xC0);
        setReg(0x05, 0xC0); // alarm every second
        setReg(0x60, 0x42);
        advanceMillis(1_000);
        poll();
        assertTrue(irq.level(), "AF pending");
        io.ioWrite(0x70, new byte[] {(byte) 0x89}); // NMI masked, index = year
        SavedStateBlob blob = device.capabilities().savedState().orElseThrow().save();
        assertEquals("chipset.cmos_rtc", blob.format());
        assertEquals(2, blob.version(), "version 2: the shared StateFormat encoding");

        // A new VM, a day later on the host: the guest's offset is kept, and the pending flags.
        board = new FakeBoard(new FakeClock(5_000_000_000L, START.plusSeconds(86_400)));
        device = resolve(CmosRtcHandle.DEFAULT);
        io = board.attach(device);
        irq = board.line(LineSets.IRQ, 8);
        device.capabilities().savedState().orElseThrow().restore(blob);
        assertTrue(irq.level(), "line level restored from the flags");
        byte[] d = new byte[1];
        io.ioRead(0x70, d);
        assertEquals((byte) 0x89, d[0], "index and NMI mask");
        io.ioRead(0x71, d);
        assertEquals(31, d[0], "binary year 2031");
        assertEquals(18, reg(7), "host moved a day: 2031-05-18");
        assertEquals(0x42, reg(0x60));
        assertEquals(0xB0, reg(0x0C), "IRQF | AF | UF carried over");
        assertEquals(blob.data().length, device.capabilities().savedState().orElseThrow().save().data().length);
    }

    @Test
    void restoreRejectsBadBlobsAndKeepsState() {
        setReg(0x40, 0x11);
        var sr = device.capabilities().savedState().orElseThrow();
        SavedStateBlob good = sr.save();
        var e = assertThrows(IllegalArgumentException.class,
                () -> sr.restore(new SavedStateBlob("chipset.pm", 2, good.data())));
        assertEquals("saved state of format 'chipset.pm' given where 'chipset.cmos_rtc' is expected", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> sr.restore(new SavedStateBlob(good.format(), 3, good.data())));
        assertEquals("chipset.cmos_rtc saved state: version 3 is not supported (this build reads versions 2 to 2)",
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> sr.restore(new SavedStateBlob(good.format(), 1, good.data())));
        assertTrue(e.getMessage().contains("no longer read"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> sr.restore(new SavedStateBlob(good.format(), 2, new byte[10])));
        assertTrue(e.getMessage().startsWith("chipset.cmos_rtc v2 saved state: "), e.getMessage());
        assertArrayEquals(good.data(), sr.save().data(), "the whole saved state is unchanged");
        assertEquals(0x11, reg(0x40));
    }

    @Test
    void registerReadsAllocateNothing() {
        byte[] d = new byte[1];
        byte[][] indexes = new byte[14][];
        for (int i = 0; i < indexes.length; i++) {
            indexes[i] = new byte[] {(byte) i};
        }
        Runnable loop = () -> {
            for (int rep = 0; rep < 2_000; rep++) {
                for (byte[] index : indexes) {
                    io.ioWrite(0x70, index);
                    io.ioRead(0x71, d);
                }
                board.clock().advanceNanos(100_000);
            }
        };
        loop.run();
        long allocated = AllocationMeter.allocatedBytes(loop);
        assertTrue(allocated >= 0, "this JVM cannot count allocated bytes");
        assertTrue(allocated < 4096, "28,000 register reads allocated " + allocated + " bytes");
    }

    private static Integer[] box(int[] v) {
        Integer[] r = new Integer[v.length];
        for (int i = 0; i < v.length; i++) {
            r[i] = v[i];
        }
        return r;
    }
}
