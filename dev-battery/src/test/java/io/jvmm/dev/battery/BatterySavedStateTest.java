package io.jvmm.dev.battery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.jvmm.api.battery.HostBatteryUpdate;
import io.jvmm.api.device.IoData;
import io.jvmm.api.device.IoResult;
import io.jvmm.api.device.SavedStateBlob;
import io.jvmm.testkit.FakeBoard;
import io.jvmm.testkit.FakeBus;
import io.jvmm.testkit.FakeLine;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The battery's saved state: random traffic and host updates, save, restore into a fresh device, same behaviour. */
class BatterySavedStateTest {
    /** A battery on its own board, with its line as the resolver creates it. */
    private static final class Rig {
        final FakeBoard board = new FakeBoard();
        final BatteryLayout layout;
        final FakeLine line;
        final BatteryDevice device;
        final FakeBus bus;

        Rig(BatteryLayout layout) {
            this.layout = layout;
            line = board.newLine(layout.lineSet, "battery", layout.vector);
            device = new BatteryDevice(layout, line, board.waker());
            bus = FakeBus.of(device);
        }

        String step(Random r) {
            switch (r.nextInt(6)) {
                case 0, 1, 2 -> {
                    int offset = r.nextInt(8) * 4;
                    byte[] d = new byte[4];
                    IoResult result = bus.mmioRead(layout.mmioBase + offset, d);
                    return "read " + offset + " " + result + " " + IoData.get(d);
                }
                case 3 -> {
                    byte[] d = new byte[4];
                    IoData.put(d, r.nextInt(4));
                    return "clear " + bus.mmioWrite(layout.mmioBase + BatteryDevice.REG_NOTIFY_CLEAR, d);
                }
                default -> {
                    long limit = r.nextBoolean() ? 100_000 : Long.MAX_VALUE;
                    HostBatteryUpdate u = new HostBatteryUpdate(r.nextBoolean(), r.nextBoolean(), r.nextBoolean(),
                            (long) (r.nextDouble() * limit), (long) (r.nextDouble() * limit),
                            r.nextInt(8) == 0 ? 0 : (long) (r.nextDouble() * limit), r.nextBoolean());
                    device.hostUpdate(u);
                    device.capabilities().pollDevice().orElseThrow().poll();
                    return "host " + u;
                }
            }
        }
    }

    @Test
    void randomTrafficThenRestoreIntoAFreshDeviceBehavesIdentically() {
        for (int seed = 0; seed < 300; seed++) {
            Random setup = new Random(seed);
            BatteryLayout layout = BatteryLayout.values()[seed % 2];
            Rig a = new Rig(layout);
            for (int i = setup.nextInt(100); i > 0; i--) {
                a.step(setup);
            }
            SavedStateBlob blob = a.device.save();
            Rig b = new Rig(layout);
            b.device.restore(blob);
            assertEquals(blob, b.device.save(), "seed " + seed);
            assertEquals(a.line.level(), b.line.level(), "seed " + seed + ": line after restore");
            long next = setup.nextLong();
            Random ra = new Random(next);
            Random rb = new Random(next);
            for (int i = 0; i < 100; i++) {
                String sa = a.step(ra);
                assertEquals(sa, b.step(rb), "seed " + seed + " step " + i);
                assertEquals(a.line.level(), b.line.level(), "seed " + seed + " line after step " + i + ": " + sa);
                assertEquals(a.device.save(), b.device.save(), "seed " + seed + " state after step " + i + ": " + sa);
            }
        }
    }

    @Test
    void resetGoesBackToThePowerOnState() {
        Rig a = new Rig(BatteryLayout.X64);
        Random r = new Random(1);
        for (int i = 0; i < 50; i++) {
            a.step(r);
        }
        a.device.reset();
        assertEquals(new Rig(BatteryLayout.X64).device.save(), a.device.save());
        assertFalse(a.line.level());
    }

    @Test
    void corruptedBlobsAreRejectedAndChangeNothing() {
        Rig a = new Rig(BatteryLayout.X64);
        a.device.hostUpdate(HostBatteryUpdate.defaultPresent());
        a.device.applyHostUpdate();
        SavedStateBlob good = a.device.save();
        Random r = new Random(2);
        for (int i = 0; i < 2000; i++) {
            byte[] d = good.data();
            if (r.nextBoolean()) {
                d[r.nextInt(d.length)] ^= (byte) (1 + r.nextInt(255));
            } else {
                d = Arrays.copyOf(d, r.nextInt(d.length));
            }
            boolean line = a.line.level();
            try {
                a.device.restore(new SavedStateBlob(good.format(), good.version(), d));
                a.device.restore(good);
            } catch (IllegalArgumentException expected) {
                assertEquals(good, a.device.save(), "a rejected blob changes nothing");
                assertEquals(line, a.line.level());
            }
        }
    }
}
