package io.jvmm.dev.pm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.IoData;
import io.jvmm.api.device.IoResult;
import io.jvmm.api.device.PowerAction;
import io.jvmm.api.handles.ResetControlHandle;
import io.jvmm.testkit.AllocationMeter;
import io.jvmm.testkit.FakeBoard;
import io.jvmm.testkit.FakeBus;
import io.jvmm.testkit.MapConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The 0xCF9 reset control register (Intel ICH "RST_CNT"): what Linux's reboot=pci writes resets. */
class ResetControlDeviceTest {
    private FakeBoard board;
    private ChipsetDevice device;
    private FakeBus io;

    @BeforeEach
    void setUp() {
        board = new FakeBoard();
        device = new ResetControlResolver().resolve(ResetControlHandle.INSTANCE, board.context("reset-control"));
        io = board.attach(device);
    }

    private long in(int len) {
        byte[] data = new byte[len];
        assertSame(IoResult.OK, io.ioRead(0xCF9, data));
        return IoData.get(data);
    }

    private void out(int len, long value) {
        byte[] data = new byte[len];
        IoData.put(data, value);
        assertSame(IoResult.OK, io.ioWrite(0xCF9, data));
    }

    @Test
    void claimsOnlyPortCf9() {
        assertEquals(List.of(FakeBoard.Claim.pio("rst_cnt", 0xCF9, 0xCF9)), board.pioClaims());
        assertEquals(ResetControlHandle.INSTANCE, new ResetControlResolver().parseHandle(new MapConfig(Map.of())));
        assertEquals("reset_control", new ResetControlResolver().id());
    }

    /** Linux's BOOT_CF9_FORCE: read, SYS_RST alone (no reset), then SYS_RST | RST_CPU (| FULL_RST when cold). */
    @Test
    void linuxPciRebootSequenceResetsOnTheSecondWrite() {
        int cf9 = (int) in(1) & ~0x0E;
        assertEquals(0, cf9);
        out(1, cf9 | 0x02);
        assertEquals(List.of(), board.powerRequests(), "SYS_RST alone only selects the kind of reset");
        assertEquals(0x02, in(1), "SYS_RST reads back");
        out(1, cf9 | 0x0E);
        assertEquals(List.of(PowerAction.RESET), board.powerRequests());
        assertEquals(List.of("had 0x0e written to its reset control register (port 0xcf9, RST_CPU with SYS_RST)"),
                board.powerCauses());
        assertEquals(0x0A, in(1), "RST_CPU does not read back; FULL_RST and SYS_RST do");
    }

    @Test
    void softResetAlsoResetsTheVm() {
        out(1, 0x04);
        assertEquals(List.of(PowerAction.RESET), board.powerRequests());
        assertTrue(board.powerCauses().get(0).endsWith("(port 0xcf9, RST_CPU)"), board.powerCauses().toString());
    }

    @Test
    void wideAccessesAreNotTheRegister() {
        out(2, 0x0606);
        out(4, 0x0606_0606L);
        assertEquals(List.of(), board.powerRequests());
        assertEquals(0xFFFF, in(2));
        assertEquals(0, in(1));
    }

    @Test
    void deviceResetClearsTheRegister() {
        out(1, 0x0A);
        device.capabilities().lifecycle().orElseThrow().reset();
        assertEquals(0, in(1));
    }

    @Test
    void readsAndHarmlessWritesAllocateNothing() {
        byte[] one = new byte[1];
        Runnable loop = () -> {
            for (int i = 0; i < 10_000; i++) {
                io.ioRead(0xCF9, one);
                one[0] = 0x02;
                io.ioWrite(0xCF9, one);
            }
        };
        loop.run();
        long allocated = AllocationMeter.allocatedBytes(loop);
        assertTrue(allocated >= 0, "this JVM cannot count allocated bytes");
        assertTrue(allocated < 4096, "register accesses allocated " + allocated + " bytes");
    }
}
