package io.jvmm.api.handles;

import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.ConfigWriter;
import io.jvmm.api.resource.Resource;
import io.jvmm.api.resource.ResourceHandle;
import io.jvmm.api.resource.ResourceKinds;
import java.time.DateTimeException;
import java.time.ZoneOffset;
import java.util.Objects;

/**
 * The MC146818-style CMOS real-time clock at ports 0x70/0x71 ({@code with_generic_cmos_rtc}).
 * Both keys are optional, so an empty config object gives {@link #DEFAULT}.
 *
 * @param memoryBytes guest RAM size, written into the CMOS memory-size bytes firmware reads
 *     (0 leaves them zero)
 * @param utcOffset what the clock shows relative to host UTC (config key {@code utc_offset},
 *     e.g. {@code "+01:00"}; default UTC)
 */
public record CmosRtcHandle(long memoryBytes, ZoneOffset utcOffset) implements ResourceHandle {
    public static final String ID = "generic_cmos_rtc";
    public static final CmosRtcHandle DEFAULT = new CmosRtcHandle(0, ZoneOffset.UTC);

    public CmosRtcHandle {
        Objects.requireNonNull(utcOffset, "utcOffset");
        if (memoryBytes < 0) {
            throw new IllegalArgumentException("memory size must not be negative, was " + memoryBytes);
        }
    }

    public Resource<ChipsetDevice> toResource() {
        return Resource.of(ResourceKinds.CHIPSET_DEVICE, ID, this);
    }

    public static CmosRtcHandle parse(ConfigReader config) {
        long memory = config.has("memory_bytes") ? config.unsigned("memory_bytes", Long.MAX_VALUE) : 0;
        ZoneOffset offset = ZoneOffset.UTC;
        if (config.has("utc_offset")) {
            String text = config.string("utc_offset");
            try {
                offset = ZoneOffset.of(text);
            } catch (DateTimeException e) {
                throw config.error("utc_offset", "'" + text
                        + "' is not a UTC offset; write it as \"Z\", \"+01:00\" or \"-05:30\"");
            }
        }
        return new CmosRtcHandle(memory, offset);
    }

    @Override
    public void writeConfig(ConfigWriter out) {
        out.number("memory_bytes", memoryBytes).string("utc_offset", utcOffset.getId());
    }
}
