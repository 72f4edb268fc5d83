package io.jvmm.api.handles;

import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.ConfigWriter;
import io.jvmm.api.resource.Resource;
import io.jvmm.api.resource.ResourceHandle;
import io.jvmm.api.resource.ResourceKinds;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Claims address ranges where no device lives, so that known-harmless probes read all-ones
 * silently instead of being traced as unclaimed.
 *
 * @param pio claimed port ranges
 * @param mmio claimed MMIO ranges
 */
public record MissingDevHandle(List<Claim> pio, List<Claim> mmio) implements ResourceHandle {
    public static final String ID = "missing_dev";

    /** A named inclusive range. */
    public record Claim(String name, long start, long end) {
        public Claim {
            Objects.requireNonNull(name, "name");
            if (Long.compareUnsigned(start, end) > 0) {
                throw new IllegalArgumentException(
                        "claim '" + name + "': start 0x" + Long.toHexString(start)
                                + " is above end 0x" + Long.toHexString(end));
            }
        }
    }

    public MissingDevHandle {
        pio = List.copyOf(pio);
        mmio = List.copyOf(mmio);
    }

    public MissingDevHandle() {
        this(List.of(), List.of());
    }

    public MissingDevHandle claimPio(String name, int start, int end) {
        if (start < 0 || end > 0xFFFF) {
            throw new IllegalArgumentException("port claim '" + name + "' outside 0..0xffff");
        }
        List<Claim> p = new ArrayList<>(pio);
        p.add(new Claim(name, start, end));
        return new MissingDevHandle(p, mmio);
    }

    public MissingDevHandle claimMmio(String name, long start, long end) {
        List<Claim> m = new ArrayList<>(mmio);
        m.add(new Claim(name, start, end));
        return new MissingDevHandle(pio, m);
    }

    public Resource<ChipsetDevice> toResource() {
        return Resource.of(ResourceKinds.CHIPSET_DEVICE, ID, this);
    }

    public static MissingDevHandle parse(ConfigReader config) {
        List<Claim> pio = new ArrayList<>();
        for (ConfigReader c : config.has("pio") ? config.objects("pio") : List.<ConfigReader>of()) {
            pio.add(parseClaim(c, 0xFFFF));
        }
        List<Claim> mmio = new ArrayList<>();
        for (ConfigReader c : config.has("mmio") ? config.objects("mmio") : List.<ConfigReader>of()) {
            mmio.add(parseClaim(c, -1));
        }
        return new MissingDevHandle(pio, mmio);
    }

    private static Claim parseClaim(ConfigReader c, long max) {
        String name = c.string("name");
        long start = max < 0 ? c.u64("start") : c.unsigned("start", max);
        long end = max < 0 ? c.u64("end") : c.unsigned("end", max);
        if (Long.compareUnsigned(start, end) > 0) {
            throw c.error("end", "end must not be below start");
        }
        return new Claim(name, start, end);
    }

    @Override
    public void writeConfig(ConfigWriter out) {
        out.objects("pio", pio, MissingDevHandle::writeClaim);
        out.objects("mmio", mmio, MissingDevHandle::writeClaim);
    }

    private static void writeClaim(Claim c, ConfigWriter w) {
        w.string("name", c.name()).hex("start", c.start()).hex("end", c.end());
    }
}
