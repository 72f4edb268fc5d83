package io.jvmm.runtime.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jvmm.api.device.PciAddress;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The hand-made text must be what the {@code String.format} calls it replaced gave. */
class HexTest {
    @Test
    void hexAndPaddedMatchFormat() {
        SplittableRandom random = new SplittableRandom(20261206);
        long[] edges = {0, 1, 9, 10, 15, 16, 255, 256, 0xfff, 0x1000, Long.MAX_VALUE, Long.MIN_VALUE, -1};
        for (int i = 0; i < 20_000 + edges.length; i++) {
            long v = i < edges.length ? edges[i] : random.nextLong() >>> random.nextInt(64);
            assertEquals(String.format("0x%x", v), Hex.of(v));
            for (int digits = 1; digits <= 4; digits++) {
                assertEquals(String.format("%0" + digits + "X", v), Hex.padded(v, digits, true));
                assertEquals(String.format("%0" + digits + "x", v), Hex.padded(v, digits, false));
            }
        }
    }

    @Test
    void bootProtocolVersionTextMatchesFormat() {
        for (int version = 0; version <= 0xffff; version++) {
            assertEquals(String.format("%d.%02d", version >>> 8, version & 0xff), BzImageHeader.versionText(version));
        }
    }

    @Test
    void pciAddressTextMatchesFormat() {
        for (int bus = 0; bus < 256; bus++) {
            for (int device = 0; device < 32; device++) {
                for (int function = 0; function < 8; function++) {
                    assertEquals(String.format("%02x:%02x.%x", bus, device, function),
                            new PciAddress(bus, device, function).toString());
                }
            }
        }
    }
}
