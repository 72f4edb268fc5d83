package io.jvmm.dev.battery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.battery.HostBatteryUpdate;
import io.jvmm.api.device.IoData;
import io.jvmm.api.device.IoResult;
import io.jvmm.api.device.SavedStateBlob;
import io.jvmm.api.support.StateFormat;
import io.jvmm.testkit.FakeBoard;
import io.jvmm.testkit.FakeBus;
import io.jvmm.testkit.FakeLine;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Register behaviour, after OpenVMM's battery tests and the reference's register table. */
class BatteryDeviceTest {
    private static final long BASE = BatteryLayout.X64.mmioBase;
    private static final long U32 = 0xFFFF_FFFFL;

    private FakeBoard board;
    private FakeLine line;
    private BatteryDevice device;

    @BeforeEach
    void setUp() {
        board = new FakeBoard();
        line = board.newLine("gpe0", "battery", 9);
        device = new BatteryDevice(BatteryLayout.X64, line, board.waker());
    }

    private long read(int offset) {
        byte[] data = new byte[4];
        assertSame(IoResult.OK, FakeBus.of(device).mmioRead(BASE + offset, data));
        return IoData.get(data);
    }

    private void write(int offset, long value) {
        byte[] data = new byte[4];
        IoData.put(data, value);
        assertSame(IoResult.OK, FakeBus.of(device).mmioWrite(BASE + offset, data));
    }

    /** Delivers an update the way a source does, then polls as the board would. */
    private void host(HostBatteryUpdate u) {
        device.hostUpdate(u);
        device.capabilities().pollDevice().orElseThrow().poll();
    }

    private void assertRegisters(long sta, long state, long rate, long remaining, long ac, long notify) {
        assertEquals(sta, read(0x00), "STA");
        assertEquals(state, read(0x04), "BST state");
        assertEquals(rate, read(0x08), "BST rate");
        assertEquals(remaining, read(0x0C), "BST remaining");
        assertEquals(ac, read(0x10), "PSR");
        assertEquals(notify, read(0x14), "notify status");
    }

    @Test
    void initialValuesAreAnAbsentBattery() {
        assertRegisters(0xF, 0, U32, U32, 0, 0);
        assertFalse(line.level());
    }

    @Test
    void openVmmBasicSequence() {
        host(new HostBatteryUpdate(true, false, false, 0, 1000, 1000, true));
        assertRegisters(0x1F, 0, 0, 5000, 1, 2);
        assertTrue(line.level());

        host(new HostBatteryUpdate(true, true, false, 40, 50, 100, true));
        assertRegisters(0x1F, 2, 2000, 2500, 1, 2);

        host(new HostBatteryUpdate(true, false, true, 45, 50, 100, false));
        assertRegisters(0x1F, 1, 2250, 2500, 0, 2);

        write(0x18, 2);
        assertEquals(0, read(0x14));
        assertFalse(line.level());
    }

    @Test
    void batteryNotPresentReportsUnknownValuesButAc() {
        host(new HostBatteryUpdate(false, true, false, 40, 50, 100, true));
        assertRegisters(0xF, 0, U32, U32, 1, 2);
        assertTrue(line.level(), "an absent battery still notifies the change");
    }

    @Test
    void presentBatteryWithoutCapacityIsReportedAbsent() {
        host(new HostBatteryUpdate(true, true, false, 40, 50, 0, true));
        assertRegisters(0xF, 0, U32, U32, 1, 2);
        assertFalse(device.state().present());
    }

    @Test
    void chargingWinsWhenBothFlagsAreSet() {
        host(new HostBatteryUpdate(true, true, true, 10, 10, 100, true));
        assertEquals(2, read(0x04));
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 5, 8})
    void accessesOtherThanFourBytesAreInvalid(int size) {
        host(new HostBatteryUpdate(true, true, false, 40, 50, 100, true));
        for (int offset = 0; offset < BatteryLayout.SIZE; offset += 4) {
            byte[] data = new byte[size];
            assertSame(IoResult.INVALID_ACCESS_SIZE, FakeBus.of(device).mmioRead(BASE + offset, data), "read " + offset);
            byte[] ones = new byte[size];
            IoData.fillOnes(ones);
            assertSame(IoResult.INVALID_ACCESS_SIZE, FakeBus.of(device).mmioWrite(BASE + offset, ones), "write " + offset);
        }
        assertEquals(2, read(0x14), "a bad-size write to notify clear must not clear");
        assertTrue(line.level());
    }

    @Test
    void misalignedAccessesAreRejected() {
        for (int offset : new int[] {1, 2, 3, 0x16, 0x1E}) {
            assertSame(IoResult.UNALIGNED_ACCESS, FakeBus.of(device).mmioRead(BASE + offset, new byte[4]));
            assertSame(IoResult.UNALIGNED_ACCESS, FakeBus.of(device).mmioWrite(BASE + offset, new byte[4]));
        }
    }

    @Test
    void otherOffsetsReadZeroAndWritesElsewhereAreIgnored() {
        host(new HostBatteryUpdate(true, true, false, 40, 50, 100, true));
        assertEquals(0, read(0x18), "notify clear is write-only");
        assertEquals(0, read(0x1C));
        for (int offset = 0; offset < BatteryLayout.SIZE; offset += 4) {
            if (offset != 0x18) {
                write(offset, U32);
            }
        }
        assertRegisters(0x1F, 2, 2000, 2500, 1, 2);
    }

    @Test
    void notifyClearClearsOnlyTheBitsWrittenAsOne() {
        host(HostBatteryUpdate.defaultPresent());
        write(0x18, 1); // BST bit: not pending
        assertEquals(2, read(0x14));
        assertTrue(line.level());
        write(0x18, U32); // bits outside the mask are ignored, bit 1 cleared
        assertEquals(0, read(0x14));
        assertFalse(line.level());
        host(HostBatteryUpdate.defaultPresent());
        assertEquals(2, read(0x14), "every host update notifies, even an equal one");
        assertTrue(line.level());
    }

    @Test
    void updatesWaitInTheMailboxUntilPolledAndTheNewestWins() {
        int before = board.waker().wakes();
        device.hostUpdate(new HostBatteryUpdate(true, true, false, 40, 10, 100, true));
        device.hostUpdate(new HostBatteryUpdate(true, false, true, 45, 20, 100, false));
        assertEquals(before + 2, board.waker().wakes());
        assertRegisters(0xF, 0, U32, U32, 0, 0);
        device.capabilities().pollDevice().orElseThrow().poll();
        assertRegisters(0x1F, 1, 2250, 1000, 0, 2);
        device.capabilities().pollDevice().orElseThrow().poll(); // nothing new: no change
        assertRegisters(0x1F, 1, 2250, 1000, 0, 2);
    }

    @Test
    void pollWithoutUpdateChangesNothing() {
        device.capabilities().pollDevice().orElseThrow().poll();
        assertRegisters(0xF, 0, U32, U32, 0, 0);
        assertFalse(line.level());
    }

    @Test
    void resetClearsStateNotifyAndLineThenTheHostStateReturnsAtTheNextPoll() {
        HostBatteryUpdate u = new HostBatteryUpdate(true, true, false, 40, 50, 100, true);
        host(u);
        int wakes = board.waker().wakes();
        device.capabilities().lifecycle().orElseThrow().reset();
        assertRegisters(0xF, 0, U32, U32, 0, 0);
        assertFalse(line.level());
        assertEquals(wakes + 1, board.waker().wakes(), "reset asks for a poll to bring the host state back");

        device.capabilities().pollDevice().orElseThrow().poll(); // the VM runs again
        assertRegisters(0x1F, 2, 2000, 2500, 1, 2);
        assertTrue(line.level());
    }

    @Test
    void resetKeepsANewerHostUpdateThatIsStillPending() {
        host(new HostBatteryUpdate(true, true, false, 40, 50, 100, true));
        device.hostUpdate(new HostBatteryUpdate(true, false, true, 45, 20, 100, false));
        device.capabilities().lifecycle().orElseThrow().reset();
        device.capabilities().pollDevice().orElseThrow().poll();
        assertRegisters(0x1F, 1, 2250, 1000, 0, 2);
    }

    @Test
    void resetBeforeAnyHostUpdateStaysAbsent() {
        int wakes = board.waker().wakes();
        device.capabilities().lifecycle().orElseThrow().reset();
        device.capabilities().pollDevice().orElseThrow().poll();
        assertRegisters(0xF, 0, U32, U32, 0, 0);
        assertEquals(wakes, board.waker().wakes());
    }

    @Test
    void hugeValuesSaturate() {
        host(new HostBatteryUpdate(true, true, false, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, true));
        assertEquals(5000, read(0x08), "exact ratio even when value * 5000 overflows 64 bits");
        assertEquals(5000, read(0x0C));

        host(new HostBatteryUpdate(true, true, false, Long.MAX_VALUE, U32, 1, true));
        assertEquals(U32, read(0x08));
        assertEquals(U32, read(0x0C));

        host(new HostBatteryUpdate(true, true, false, 1_000_000_000_000L, 5_000_000_000_000L,
                10_000_000_000_000L, true));
        assertEquals(500, read(0x08));
        assertEquals(2500, read(0x0C));
    }

    @Test
    void scaleIsValueTimesDesignCapacityOverMax() {
        assertEquals(0, BatteryDevice.scale(0, 1));
        assertEquals(4750, BatteryDevice.scale(950, 1000));
        assertEquals(U32, BatteryDevice.scale(U32, 1000), "above 32 bits saturates");
        assertEquals(U32 / 5000 * 5000 / 1, BatteryDevice.scale(U32 / 5000, 1));
        assertEquals(U32, BatteryDevice.scale(U32 / 5000 + 1, 1));
    }

    @Test
    void savedStateRoundTrips() {
        host(new HostBatteryUpdate(true, false, true, 45, 20, 100, true));
        write(0x18, 0); // keep notify pending
        SavedStateBlob blob = device.capabilities().savedState().orElseThrow().save();
        assertEquals("firmware.battery", blob.format());
        assertEquals(2, blob.version(), "version 2: the shared StateFormat encoding");

        FakeBoard other = new FakeBoard();
        FakeLine otherLine = other.newLine("gpe0", "battery", 9);
        BatteryDevice restored = new BatteryDevice(BatteryLayout.X64, otherLine, other.waker());
        restored.capabilities().savedState().orElseThrow().restore(blob);
        device = restored;
        assertRegisters(0x1F, 1, 2250, 1000, 1, 2);
        assertTrue(otherLine.level(), "restore re-evaluates the line");
        assertEquals(blob, restored.save());

        // with notify cleared, the restored line is low
        write(0x18, 2);
        SavedStateBlob cleared = restored.save();
        BatteryDevice third = new BatteryDevice(BatteryLayout.X64, line, board.waker());
        line.setLevel(true);
        third.restore(cleared);
        assertFalse(line.level());
        assertEquals(HostBatteryUpdate.class, third.state().getClass());
        assertEquals(new HostBatteryUpdate(true, false, true, 45, 20, 100, true), third.state());
    }

    @Test
    void malformedSavedStateIsRejectedAndChangesNothing() {
        host(new HostBatteryUpdate(true, true, false, 40, 50, 100, true));
        byte[] good = device.save().data();

        assertBadRestore(new SavedStateBlob("serial.uart16550", 2, good), "format");
        assertBadRestore(new SavedStateBlob("firmware.battery", 3, good), "version 3");
        assertBadRestore(new SavedStateBlob("firmware.battery", 1, good), "no longer read");
        assertBadRestore(new SavedStateBlob("firmware.battery", 2, java.util.Arrays.copyOf(good, good.length - 1)),
                "max_mwh");
        assertBadRestore(raw(4, 1, 2, 3), "notify");
        assertBadRestore(raw(2, -1, 2, 3), "negative");
        assertBadRestore(raw(2, 1, -2, 3), "negative");
        device.restore(raw(2, 40, 50, 100)); // the raw writer makes valid states too
    }

    /** A state with any values (the record would refuse the bad ones), written as firmware.battery v2. */
    private static SavedStateBlob raw(int notify, long rate, long remaining, long max) {
        record Raw(int notifyBits, long rate, long remaining, long max) {}
        return StateFormat.<Raw>of("firmware.battery", 2, (r, out) -> out.u8("notify", r.notifyBits())
                .bool("present", true).bool("charging", true).bool("discharging", false).bool("ac_online", true)
                .i64("rate_mw", r.rate()).i64("remaining_mwh", r.remaining()).i64("max_mwh", r.max()), in -> null)
                .save(new Raw(notify, rate, remaining, max));
    }

    private void assertBadRestore(SavedStateBlob blob, String expectedInMessage) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> device.restore(blob));
        assertTrue(e.getMessage().contains(expectedInMessage), e.getMessage());
        assertRegisters(0x1F, 2, 2000, 2500, 1, 2);
        assertTrue(line.level());
    }

    @ParameterizedTest
    @EnumSource(BatteryLayout.class)
    void bothLayoutsDeclareTheirOwnBase(BatteryLayout layout) {
        FakeBoard b = new FakeBoard();
        FakeLine l = b.newLine(layout.lineSet, "battery", layout.vector);
        BatteryDevice d = new BatteryDevice(layout, l, b.waker());
        d.hostUpdate(HostBatteryUpdate.defaultPresent());
        d.applyHostUpdate();
        byte[] data = new byte[4];
        assertSame(IoResult.OK, FakeBus.of(d).mmioRead(layout.mmioBase + 0x0C, data));
        assertEquals(4750, IoData.get(data));
        assertSame(IoResult.OK, FakeBus.of(d).mmioRead(layout.mmioBase, data));
        assertEquals(0x1F, IoData.get(data));
    }
}
