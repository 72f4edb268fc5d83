package io.jvmm.dev.pm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.IoData;
import io.jvmm.api.device.IoResult;
import io.jvmm.api.device.LineInterruptTarget;
import io.jvmm.api.device.LineSets;
import io.jvmm.api.device.SaveRestore;
import io.jvmm.api.device.SavedStateBlob;
import io.jvmm.api.handles.PowerManagementHandle;
import io.jvmm.api.handles.ResetControlHandle;
import io.jvmm.testkit.FakeBoard;
import io.jvmm.testkit.FakeBus;
import io.jvmm.testkit.FakeClock;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Saved state of the PM block and the reset control register: random traffic, save, restore, same behaviour. */
class PmSavedStateTest {
    private static final int BASE = PowerManagementHandle.DEFAULT_PIO_BASE;

    /** A PM block as the resolver builds it, on its own board with a clock shared with its twin. */
    private static final class Rig {
        final FakeBoard board;
        final ChipsetDevice device;
        final FakeBus io;
        final LineInterruptTarget gpe0;

        Rig(FakeClock clock) {
            board = new FakeBoard(clock);
            device = new PowerManagementResolver().resolve(PowerManagementHandle.DEFAULT, board.context("pm"));
            io = board.attach(device);
            gpe0 = board.lineTargets().get(0).target();
        }

        boolean sci() {
            return board.line(LineSets.IRQ, 9).level();
        }

        SaveRestore state() {
            return device.capabilities().savedState().orElseThrow();
        }

        String step(Random r, FakeClock clock, boolean advanceClock) {
            switch (r.nextInt(8)) {
                case 0, 1, 2 -> {
                    int width = 1 << r.nextInt(3);
                    int offset = r.nextInt(PowerManagementHandle.LENGTH - width + 1);
                    byte[] d = new byte[width];
                    r.nextBytes(d);
                    io.ioWrite(BASE + offset, d);
                    return "write " + offset + " " + IoData.get(d);
                }
                case 3, 4 -> {
                    int width = 1 << r.nextInt(3);
                    int offset = r.nextInt(PowerManagementHandle.LENGTH - width + 1);
                    byte[] d = new byte[width];
                    IoResult result = io.ioRead(BASE + offset, d);
                    return "read " + offset + " " + result + " " + IoData.get(d);
                }
                case 5 -> {
                    int bit = r.nextInt(16);
                    boolean high = r.nextBoolean();
                    gpe0.setIrq(bit, high);
                    return "gpe0 " + bit + " " + high;
                }
                case 6 -> {
                    boolean enabled = device.capabilities().powerButton().orElseThrow().press();
                    device.capabilities().pollDevice().orElseThrow().poll();
                    return "press " + enabled;
                }
                default -> {
                    long nanos = (long) (r.nextDouble() * 3e9);
                    if (advanceClock) {
                        clock.advanceNanos(nanos);
                    }
                    return "time " + nanos;
                }
            }
        }
    }

    @Test
    void randomTrafficThenRestoreIntoAFreshDeviceBehavesIdentically() {
        for (int seed = 0; seed < 300; seed++) {
            FakeClock clock = new FakeClock();
            Random setup = new Random(seed);
            Rig a = new Rig(clock);
            int before = setup.nextInt(200);
            for (int i = 0; i < before; i++) {
                a.step(setup, clock, true);
            }
            SavedStateBlob blob = a.state().save();
            clock.advanceNanos(setup.nextInt(1_000_000_000)); // the new process starts a little later
            Rig b = new Rig(clock);
            b.state().restore(blob);
            a.state().restore(blob); // the saved VM resumes at the same moment as its copy
            assertEquals(blob, b.state().save(), "seed " + seed);
            assertEquals(a.sci(), b.sci(), "seed " + seed + ": SCI after restore");
            int powerBefore = a.board.powerRequests().size();

            long next = setup.nextLong();
            Random ra = new Random(next);
            Random rb = new Random(next);
            for (int i = 0; i < 150; i++) {
                String sa = a.step(ra, clock, true); // one shared clock: advance it once
                String sb = b.step(rb, clock, false);
                assertEquals(sa, sb, "seed " + seed + " step " + i);
                assertEquals(a.sci(), b.sci(), "seed " + seed + " SCI after step " + i + ": " + sa);
                assertEquals(a.board.powerRequests().subList(powerBefore, a.board.powerRequests().size()),
                        b.board.powerRequests(), "seed " + seed + " power requests after step " + i);
                assertEquals(a.state().save(), b.state().save(), "seed " + seed + " state after step " + i + ": " + sa);
            }
        }
    }

    @Test
    void theTimerCountsOnFromItsSavedValueNotFromHostTime() {
        FakeClock clock = new FakeClock();
        Rig a = new Rig(clock);
        clock.advanceNanos(2_000_000_000L);
        byte[] t = new byte[4];
        a.io.ioRead(BASE + 8, t);
        long saved = IoData.get(t);
        assertEquals(2 * 3_579_545L, saved);
        SavedStateBlob blob = a.state().save();
        Rig b = new Rig(new FakeClock(500_000_000_000L, FakeClock.DEFAULT_WALL_TIME));
        b.state().restore(blob);
        b.io.ioRead(BASE + 8, t);
        assertEquals(saved, IoData.get(t), "a restored timer reads where it stopped");
    }

    @Test
    void resetGoesBackToThePowerOnState() {
        FakeClock clock = new FakeClock();
        Rig a = new Rig(clock);
        Random r = new Random(7);
        for (int i = 0; i < 300; i++) {
            a.step(r, clock, false);
        }
        a.device.capabilities().lifecycle().orElseThrow().reset();
        assertEquals(new Rig(clock).state().save(), a.state().save());
        assertFalse(a.sci());
    }

    @Test
    void corruptedBlobsAreRejectedAndChangeNothing() {
        FakeClock clock = new FakeClock();
        Rig a = new Rig(clock);
        Random r = new Random(3);
        for (int i = 0; i < 100; i++) {
            a.step(r, clock, true);
        }
        SavedStateBlob good = a.state().save();
        for (int i = 0; i < 2000; i++) {
            byte[] d = good.data();
            if (r.nextBoolean()) {
                d[r.nextInt(d.length)] ^= (byte) (1 + r.nextInt(255));
            } else {
                d = Arrays.copyOf(d, r.nextInt(d.length));
            }
            boolean sci = a.sci();
            try {
                a.state().restore(new SavedStateBlob(good.format(), good.version(), d));
                a.state().restore(good); // a corruption that still decodes (a register value): put it back
            } catch (IllegalArgumentException expected) {
                assertEquals(good, a.state().save(), "a rejected blob changes nothing");
                assertEquals(sci, a.sci());
            }
        }
    }

    // ---- the reset control register

    private static ChipsetDevice resetControl(FakeBoard board) {
        return new ResetControlResolver().resolve(ResetControlHandle.INSTANCE, board.context("reset-control"));
    }

    @Test
    void resetControlRoundTripsItsStoredBits() {
        FakeBoard board = new FakeBoard();
        ChipsetDevice a = resetControl(board);
        FakeBus io = board.attach(a);
        Random r = new Random(11);
        for (int seed = 0; seed < 200; seed++) {
            int v = r.nextInt(256) & ~ResetControlDevice.RST_CPU; // RST_CPU would reset the VM
            io.ioWrite(0xCF9, new byte[] {(byte) v});
            SavedStateBlob blob = a.capabilities().savedState().orElseThrow().save();
            assertEquals("chipset.reset_control", blob.format());
            FakeBoard other = new FakeBoard();
            ChipsetDevice b = resetControl(other);
            FakeBus bio = other.attach(b);
            b.capabilities().savedState().orElseThrow().restore(blob);
            byte[] ra = new byte[1];
            byte[] rb = new byte[1];
            io.ioRead(0xCF9, ra);
            bio.ioRead(0xCF9, rb);
            assertEquals(ra[0], rb[0], "value 0x" + Integer.toHexString(v));
            io.ioWrite(0xCF9, new byte[] {(byte) (v | ResetControlDevice.RST_CPU)});
            bio.ioWrite(0xCF9, new byte[] {(byte) (v | ResetControlDevice.RST_CPU)});
            assertEquals(board.powerRequests().size(), seed + 1);
            assertEquals(1, other.powerRequests().size());
        }
    }

    @Test
    void resetControlRejectsBadBlobs() {
        FakeBoard board = new FakeBoard();
        ChipsetDevice a = resetControl(board);
        FakeBus io = board.attach(a);
        io.ioWrite(0xCF9, new byte[] {0x0A});
        SaveRestore s = a.capabilities().savedState().orElseThrow();
        SavedStateBlob good = s.save();
        assertThrows(IllegalArgumentException.class, () -> s.restore(new SavedStateBlob("chipset.pm", 1, good.data())));
        assertThrows(IllegalArgumentException.class, () -> s.restore(new SavedStateBlob(good.format(), 2, good.data())));
        byte[] d = good.data();
        d[d.length - 1] = (byte) 0x04; // RST_CPU is never stored
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> s.restore(new SavedStateBlob(good.format(), 1, d)));
        assertTrue(e.getMessage().contains("does not keep"), e.getMessage());
        assertEquals(good, s.save());
        a.capabilities().lifecycle().orElseThrow().reset();
        assertEquals(resetControl(new FakeBoard()).capabilities().savedState().orElseThrow().save(), s.save());
    }
}
