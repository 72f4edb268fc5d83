package io.jvmm.dev.battery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.battery.HostBatteryUpdate;
import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.IoData;
import io.jvmm.api.handles.BatteryHandle;
import io.jvmm.api.handles.FixedBatteryHandle;
import io.jvmm.api.hv.MachineArch;
import io.jvmm.api.resource.ResolveException;
import io.jvmm.testkit.FakeBoard;
import io.jvmm.testkit.FakeBus;
import org.junit.jupiter.api.Test;

/** The host state a source delivers at subscribe is visible once the device starts, before any poll. */
class BatteryStartTest {
    private static long sta(ChipsetDevice d) {
        byte[] data = new byte[4];
        FakeBus.of(d).mmioRead(BatteryLayout.X64.mmioBase, data);
        return IoData.get(data);
    }

    @Test
    void startAppliesTheStateDeliveredAtSubscribe() throws ResolveException {
        FakeBoard board = new FakeBoard();
        ChipsetDevice d = new BatteryX64Resolver().resolve(
                new BatteryHandle(MachineArch.X86_64,
                        new FixedBatteryHandle(HostBatteryUpdate.defaultPresent()).toResource()),
                board.context("battery", new FixedBatterySourceResolver()));
        assertEquals(0xF, sta(d), "before start: no battery yet");
        d.capabilities().lifecycle().orElseThrow().start();
        assertEquals(0x1F, sta(d), "started: the guest sees the battery without waiting for a poll");
        assertTrue(board.line("gpe0", 9).level(), "and is notified");
    }

    @Test
    void startAfterResetOffersTheLastHostStateAgain() throws ResolveException {
        FakeBoard board = new FakeBoard();
        ChipsetDevice d = new BatteryX64Resolver().resolve(
                new BatteryHandle(MachineArch.X86_64,
                        new FixedBatteryHandle(HostBatteryUpdate.defaultPresent()).toResource()),
                board.context("battery", new FixedBatterySourceResolver()));
        d.capabilities().lifecycle().orElseThrow().start();
        d.capabilities().lifecycle().orElseThrow().stop();
        d.capabilities().lifecycle().orElseThrow().reset();
        assertEquals(0xF, sta(d), "reset: no battery");
        d.capabilities().lifecycle().orElseThrow().start();
        assertEquals(0x1F, sta(d));
    }
}
