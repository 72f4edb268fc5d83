package io.jvmm.runtime.board;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.IoData;
import io.jvmm.api.device.IoRegion;
import io.jvmm.api.device.IoResult;
import io.jvmm.api.device.MmioIntercept;
import io.jvmm.api.support.LogRateLimiter;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** PCI BARs mapped at run time: dispatch as (BAR, offset), conflicts refused, unmapping. */
class BarMappingsTest {
    /** Answers (region << 16 | offset). */
    static final class Echo implements MmioIntercept {
        @Override
        public List<IoRegion> mmioRegions() {
            return List.of();
        }

        @Override
        public IoResult mmioRead(int region, long offset, byte[] data) {
            IoData.put(data, (long) region << 16 | offset);
            return IoResult.OK;
        }

        @Override
        public IoResult mmioWrite(int region, long offset, byte[] data) {
            return IoResult.OK;
        }
    }

    static DispatchTarget target(String name) {
        return new DispatchTarget(name, new Object(), null, new Echo(), new LogRateLimiter(10));
    }

    @Test
    void barsDispatchAsBarAndOffsetAndStayOutOfStaticRegions() {
        DispatchTarget rtc = target("ioapic");
        IoRangeMap.Builder<DispatchTarget> b = IoRangeMap.builder("mmio");
        b.add(new Region("ioapic", "regs", 0xFEC0_0000L, 0xFEC0_0FFFL), rtc.region(0, 0xFEC0_0000L));
        BarMappings bars = new BarMappings();
        Board board = new Board(IoRangeMap.<DispatchTarget>builder("pio").build(), b.build(), bars,
                Duration.ofSeconds(1), false, false, 10);
        DispatchTarget dev = target("virtio-rng");
        assertTrue(bars.map(dev, 2, 0xC000_4000L, 0x4000));
        byte[] d = new byte[4];
        board.mmioRead(0xC000_4010L, d);
        assertEquals(0x2_0010L, IoData.get(d));
        assertFalse(bars.map(dev, 0, 0xFEBF_F000L, 0x2000), "overlaps the IOAPIC");
        assertFalse(bars.map(target("other"), 0, 0xC000_6000L, 0x1000), "overlaps a mapped BAR");
        assertTrue(bars.map(dev, 2, 0xC001_0000L, 0x4000), "moving a BAR replaces its mapping");
        assertNull(bars.find(0xC000_4000L));
        assertSame(dev.lock, bars.find(0xC001_0000L).lock);
        bars.unmap(dev, 2);
        board.mmioRead(0xC001_0000L, d);
        assertEquals(0xFFFF_FFFFL, IoData.get(d), "unmapped: unclaimed, all-ones");
    }
}
