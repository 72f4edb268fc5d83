package io.jvmm.dev.cmosrtc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.IoResult;
import io.jvmm.api.device.LineSets;
import io.jvmm.api.device.SaveRestore;
import io.jvmm.api.device.SavedStateBlob;
import io.jvmm.api.handles.CmosRtcHandle;
import io.jvmm.api.support.StateFormat;
import io.jvmm.testkit.FakeBoard;
import io.jvmm.testkit.FakeBus;
import io.jvmm.testkit.FakeClock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The RTC's saved state: random traffic, save, restore into a fresh device, same behaviour. */
class CmosRtcSavedStateTest {
    private static final long MEMORY = 3L << 30;

    /** An RTC as the resolver builds it, on its own board with a clock shared with its twin. */
    private static final class Rig {
        final FakeBoard board;
        final ChipsetDevice device;
        final FakeBus io;

        Rig(FakeClock clock, int utcOffsetSeconds) {
            board = new FakeBoard(clock);
            device = new CmosRtcResolver().resolve(new CmosRtcHandle(MEMORY, ZoneOffset.ofTotalSeconds(utcOffsetSeconds)),
                    board.context("rtc"));
            io = board.attach(device);
        }

        boolean irq8() {
            return board.line(LineSets.IRQ, 8).level();
        }

        SaveRestore state() {
            return device.capabilities().savedState().orElseThrow();
        }

        int reg(int index) {
            assertEquals(IoResult.OK, io.ioWrite(0x70, new byte[] {(byte) index}));
            byte[] d = new byte[1];
            assertEquals(IoResult.OK, io.ioRead(0x71, d));
            return d[0] & 0xFF;
        }

        /** Registers a driver touches: time, alarms, A-D, century, and some RAM. */
        private static final int[] REGISTERS = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0x0A, 0x0B, 0x0C, 0x0D, 0x32, 0x10, 0x7F};

        String step(Random r, FakeClock clock, boolean advanceClock) {
            int reg = r.nextInt(4) == 0 ? r.nextInt(128) : REGISTERS[r.nextInt(REGISTERS.length)];
            switch (r.nextInt(9)) {
                case 0, 1, 2 -> {
                    int value = switch (reg) {
                        case 0x0A -> (r.nextInt(8) << 4) | r.nextInt(16);
                        case 0x0B -> r.nextInt(256) & (r.nextInt(3) == 0 ? 0xFF : 0x7F);
                        default -> r.nextInt(256);
                    };
                    int index = reg | (r.nextBoolean() ? 0x80 : 0);
                    io.ioWrite(0x70, new byte[] {(byte) index});
                    io.ioWrite(0x71, new byte[] {(byte) value});
                    return "write " + reg + " " + value;
                }
                case 3, 4 -> {
                    return "read " + reg + " = " + reg(reg);
                }
                case 5 -> {
                    byte[] d = new byte[1];
                    io.ioRead(0x70, d);
                    return "index " + d[0];
                }
                case 6 -> {
                    device.capabilities().pollDevice().orElseThrow().poll();
                    return "poll";
                }
                case 7 -> {
                    long nanos = r.nextBoolean() ? r.nextInt(1_000_000_000) : (long) (r.nextDouble() * 5e10);
                    if (advanceClock) {
                        clock.advanceNanos(nanos);
                    }
                    return "time " + nanos;
                }
                default -> {
                    if (r.nextInt(10) == 0) {
                        device.capabilities().lifecycle().orElseThrow().reset();
                        return "reset";
                    }
                    return "read C = " + reg(0x0C);
                }
            }
        }
    }

    @Test
    void randomTrafficThenRestoreIntoAFreshDeviceBehavesIdentically() {
        for (int seed = 0; seed < 300; seed++) {
            FakeClock clock = new FakeClock();
            Random setup = new Random(seed);
            Rig a = new Rig(clock, setup.nextInt(2 * 3600) - 3600);
            int before = setup.nextInt(200);
            for (int i = 0; i < before; i++) {
                a.step(setup, clock, true);
            }
            SavedStateBlob blob = a.state().save();
            // The copy runs with another configured UTC offset: the guest's clock is kept anyway.
            Rig b = new Rig(clock, setup.nextInt(2 * 3600) - 3600);
            b.state().restore(blob);
            assertEquals(blob, b.state().save(), "seed " + seed);
            assertEquals(a.irq8(), b.irq8(), "seed " + seed + ": IRQ 8 after restore");

            long next = setup.nextLong();
            Random ra = new Random(next);
            Random rb = new Random(next);
            for (int i = 0; i < 150; i++) {
                String sa = a.step(ra, clock, true); // one shared clock: advance it once
                String sb = b.step(rb, clock, false);
                assertEquals(sa, sb, "seed " + seed + " step " + i);
                assertEquals(a.irq8(), b.irq8(), "seed " + seed + " IRQ 8 after step " + i + ": " + sa);
                assertEquals(a.state().save(), b.state().save(), "seed " + seed + " state after step " + i + ": " + sa);
            }
        }
    }

    @Test
    void aRestoredClockContinuesFromTheHostsTimeWithTheGuestsOffset() {
        FakeClock clock = new FakeClock(1_000_000_000L, Instant.parse("2024-05-17T10:20:30Z"));
        Rig a = new Rig(clock, 0);
        a.io.ioWrite(0x70, new byte[] {0x0B});
        a.io.ioWrite(0x71, new byte[] {(byte) 0x86}); // SET, binary, 24 h
        a.io.ioWrite(0x70, new byte[] {0x04});
        a.io.ioWrite(0x71, new byte[] {13}); // the guest set its clock 3 hours ahead of the host
        a.io.ioWrite(0x70, new byte[] {0x0B});
        a.io.ioWrite(0x71, new byte[] {0x06});
        SavedStateBlob blob = a.state().save();
        // Restored in a process started a day and 5 minutes later, configured with UTC+2.
        FakeClock later = new FakeClock(7_000_000_000L, Instant.parse("2024-05-18T10:25:30Z"));
        Rig b = new Rig(later, 2 * 3600);
        b.state().restore(blob);
        assertEquals(13, b.reg(4), "hour: host 10 plus the guest's 3");
        assertEquals(25, b.reg(2), "minute: the host's");
        assertEquals(18, b.reg(7), "day: the host's");
        later.advance(Duration.ofHours(1));
        assertEquals(14, b.reg(4), "and it runs");
    }

    @Test
    void aPendingAlarmRaisesIrq8AtOnceInTheCopy() {
        FakeClock clock = new FakeClock();
        Rig a = new Rig(clock, 0);
        for (int alarm : new int[] {1, 3, 5}) {
            a.io.ioWrite(0x70, new byte[] {(byte) alarm});
            a.io.ioWrite(0x71, new byte[] {(byte) 0xC0}); // every second
        }
        a.io.ioWrite(0x70, new byte[] {0x0B});
        a.io.ioWrite(0x71, new byte[] {0x22}); // AIE, 24 h
        clock.advance(Duration.ofSeconds(2)); // an alarm is due; nobody polled yet
        SavedStateBlob blob = a.state().save();
        Rig b = new Rig(clock, 0);
        b.state().restore(blob);
        assertTrue(b.irq8(), "the flag the save caught up drives the copy's line");
        assertEquals(0xF0, b.reg(0x0C), "IRQF | PF | AF | UF");
    }

    @Test
    void badBlobsAreRejectedAndChangeNothing() {
        FakeClock clock = new FakeClock();
        Rig a = new Rig(clock, 0);
        Random r = new Random(5);
        for (int i = 0; i < 200; i++) {
            a.step(r, clock, true);
        }
        SavedStateBlob good = a.state().save();
        record Raw(int flags, int regA, int regB, int ramSize) {}
        StateFormat<Raw> raw = StateFormat.of("chipset.cmos_rtc", 2, (x, out) -> {
            byte[] ram = new byte[x.ramSize()];
            if (x.ramSize() > 0x0B) {
                ram[0x0A] = (byte) x.regA();
                ram[0x0B] = (byte) x.regB();
            }
            out.u8("index", 0).bool("nmi_masked", false).bytes("ram", ram).u8("flags", x.flags())
                    .i64("guest_minus_host_nanos", 0).i64("frozen_nanos", 0);
        }, in -> null);
        a.state().restore(raw.save(new Raw(0x70, 0x26, 0x02, 128))); // the raw writer makes valid states too
        a.state().restore(good);
        for (Raw bad : new Raw[] {new Raw(0x80, 0x26, 0x02, 128), new Raw(0, 0xA6, 0x02, 128),
                new Raw(0, 0x26, 0x92, 128), new Raw(0, 0x26, 0x02, 127), new Raw(0, 0x26, 0x02, 129)}) {
            boolean line = a.irq8();
            assertThrows(IllegalArgumentException.class, () -> a.state().restore(raw.save(bad)), bad.toString());
            assertEquals(good, a.state().save());
            assertEquals(line, a.irq8());
        }
        for (int i = 0; i < 2000; i++) {
            byte[] d = good.data();
            if (r.nextBoolean()) {
                d[r.nextInt(d.length)] ^= (byte) (1 + r.nextInt(255));
            } else {
                d = Arrays.copyOf(d, r.nextInt(d.length));
            }
            try {
                a.state().restore(new SavedStateBlob(good.format(), good.version(), d));
                a.state().restore(good);
            } catch (IllegalArgumentException expected) {
                assertEquals(good, a.state().save(), "a rejected blob changes nothing");
            }
        }
    }
}
