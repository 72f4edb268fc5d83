package io.jvmm.dev.battery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.battery.BatterySource;
import io.jvmm.api.battery.HostBatteryUpdate;
import io.jvmm.api.battery.UpdatableBatterySource;
import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.IoData;
import io.jvmm.api.device.IoResult;
import io.jvmm.api.device.LineSets;
import io.jvmm.api.handles.BatteryHandle;
import io.jvmm.api.handles.FixedBatteryHandle;
import io.jvmm.api.handles.HostBatteryHandle;
import io.jvmm.api.hv.MachineArch;
import io.jvmm.api.resource.ResolveContext;
import io.jvmm.api.resource.ResolveException;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.testkit.FakeBoard;
import io.jvmm.testkit.FakeBus;
import io.jvmm.testkit.FakeLine;
import io.jvmm.testkit.MapConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The four resolvers: ids, kinds, handle parsing, what they claim and wire. */
class BatteryResolverTest {
    /** A context that resolves nested resources with the module's two battery-source resolvers. */
    private static ResolveContext withSources(FakeBoard board) {
        return board.context("battery", new FixedBatterySourceResolver(), new HostBatterySourceResolver());
    }

    private static FakeLine onlyLine(FakeBoard board) {
        assertEquals(1, board.lines().size(), "expected one line: " + board.lines());
        return board.lines().get(0);
    }

    private static long readReg(ChipsetDevice d, long address) {
        byte[] data = new byte[4];
        assertEquals(IoResult.OK, FakeBus.of(d).mmioRead(address, data));
        return IoData.get(data);
    }

    @Test
    void idsAndKinds() {
        assertEquals("battery_x64", new BatteryX64Resolver().id());
        assertEquals("battery_aarch64", new BatteryAarch64Resolver().id());
        assertEquals(ResourceKinds.CHIPSET_DEVICE, new BatteryX64Resolver().kind());
        assertEquals(ResourceKinds.CHIPSET_DEVICE, new BatteryAarch64Resolver().kind());
        assertEquals("fixed", new FixedBatterySourceResolver().id());
        assertEquals("host", new HostBatterySourceResolver().id());
        assertEquals(ResourceKinds.BATTERY_SOURCE, new FixedBatterySourceResolver().kind());
        assertEquals(ResourceKinds.BATTERY_SOURCE, new HostBatterySourceResolver().kind());
    }

    @Test
    void x64ClaimsItsBlockAndGpe0Bit9() throws ResolveException {
        FakeBoard board = new FakeBoard();
        ResolveContext context = withSources(board);
        ChipsetDevice d = new BatteryX64Resolver().resolve(
                new BatteryHandle(MachineArch.X86_64, new FixedBatteryHandle(HostBatteryUpdate.defaultPresent())
                        .toResource()), context);
        board.attach(d);
        assertEquals(List.of(FakeBoard.Claim.mmio("battery", 0xFED3F000L, 0xFED3F01FL)), board.mmioClaims());
        assertTrue(board.pioClaims().isEmpty());
        FakeLine line = onlyLine(board);
        assertEquals(LineSets.GPE0, line.lineSet());
        assertEquals(9, line.vector());
        assertEquals("battery", line.label());

        // the fixed source delivered at subscribe; it shows up at the first poll
        assertTrue(board.waker().wakes() > 0);
        assertEquals(0xF, readReg(d, 0xFED3F000L));
        assertFalse(line.level());
        d.capabilities().pollDevice().orElseThrow().poll();
        assertEquals(0x1F, readReg(d, 0xFED3F000L));
        assertEquals(4750, readReg(d, 0xFED3F00CL));
        assertTrue(line.level());
    }

    @Test
    void aarch64ClaimsItsBlockAndIrq4() throws ResolveException {
        FakeBoard board = new FakeBoard();
        ResolveContext context = withSources(board);
        ChipsetDevice d = new BatteryAarch64Resolver().resolve(
                new BatteryHandle(MachineArch.AARCH64, new FixedBatteryHandle(HostBatteryUpdate.defaultPresent())
                        .toResource()), context);
        board.attach(d);
        assertEquals(List.of(FakeBoard.Claim.mmio("battery", 0xEFFEA000L, 0xEFFEA01FL)), board.mmioClaims());
        FakeLine line = onlyLine(board);
        assertEquals(LineSets.IRQ, line.lineSet());
        assertEquals(4, line.vector());
        d.capabilities().pollDevice().orElseThrow().poll();
        assertTrue(line.level());
        assertEquals(1, readReg(d, 0xEFFEA010L));
    }

    @Test
    void aHandleForTheOtherArchitectureIsRejected() {
        FakeBoard board = new FakeBoard();
        ResolveContext context = withSources(board);
        BatteryHandle armHandle = new BatteryHandle(MachineArch.AARCH64,
                new FixedBatteryHandle(HostBatteryUpdate.ABSENT).toResource());
        ResolveException e = assertThrows(ResolveException.class,
                () -> new BatteryX64Resolver().resolve(armHandle, context));
        assertTrue(e.getMessage().contains("battery_aarch64"), e.getMessage());
        assertTrue(board.mmioClaims().isEmpty());
    }

    @Test
    void controlSocketPushesReachTheGuestThroughTheFixedSource() throws ResolveException {
        FakeBoard board = new FakeBoard();
        ResolveContext context = withSources(board);
        BatterySource source = context.resolve(new FixedBatteryHandle(HostBatteryUpdate.ABSENT).toResource());
        UpdatableBatterySource updatable = assertInstanceOf(UpdatableBatterySource.class, source);
        FakeLine line = board.newLine("gpe0", "battery", 9);
        BatteryDevice device = new BatteryDevice(BatteryLayout.X64, line, board.waker());
        source.subscribe(device::hostUpdate);
        device.applyHostUpdate();
        assertEquals(0xF, readReg(device, BatteryLayout.X64.mmioBase));

        updatable.update(new HostBatteryUpdate(true, false, true, 45, 20, 100, false));
        device.applyHostUpdate();
        assertEquals(0x1F, readReg(device, BatteryLayout.X64.mmioBase));
        assertEquals(1, readReg(device, BatteryLayout.X64.mmioBase + 4));
        assertEquals(2250, readReg(device, BatteryLayout.X64.mmioBase + 8));
        assertTrue(line.level());
    }

    @Test
    void hostSourceResolvesOnAMissingTreeToNoBattery(@TempDir Path dir) throws ResolveException {
        FakeBoard board = new FakeBoard();
        ResolveContext context = withSources(board);
        HostBatteryHandle handle = new HostBatteryHandle(dir.resolve("absent").toString(), 60_000);
        try (BatterySource s = context.resolve(handle.toResource())) {
            HostBatteryUpdate[] got = new HostBatteryUpdate[1];
            s.subscribe(u -> got[0] = u);
            assertEquals(HostBatteryUpdate.ABSENT, got[0]);
        }
    }

    @Test
    void handlesParseFromConfig() {
        MapConfig fixed = new MapConfig(Map.of("present", true, "charging", false, "discharging", true,
                "rate_mw", 45L, "remaining_mwh", 20L, "max_mwh", 100L, "ac_online", false));
        assertEquals(new FixedBatteryHandle(new HostBatteryUpdate(true, false, true, 45, 20, 100, false)),
                new FixedBatterySourceResolver().parseHandle(fixed));

        assertEquals(new HostBatteryHandle(), new HostBatterySourceResolver().parseHandle(new MapConfig(Map.of())));
        assertEquals(new HostBatteryHandle("/tmp/ps", 250), new HostBatterySourceResolver()
                .parseHandle(new MapConfig(Map.of("sysfs_root", "/tmp/ps", "poll_millis", 250L))));
        var e = assertThrows(io.jvmm.api.resource.ConfigException.class, () -> new HostBatterySourceResolver()
                .parseHandle(new MapConfig(Map.of("poll_millis", 5L))));
        assertTrue(e.getMessage().contains("poll_millis"), e.getMessage());

        BatteryHandle h = new BatteryAarch64Resolver().parseHandle(new MapConfig(
                Map.of("source", new FixedBatteryHandle(HostBatteryUpdate.ABSENT).toResource())));
        assertEquals(MachineArch.AARCH64, h.arch());
        assertEquals("battery_source:fixed", h.source().key());
    }
}
