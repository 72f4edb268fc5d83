package io.jvmm.api.handles;

import io.jvmm.api.battery.BatterySource;
import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.ConfigWriter;
import io.jvmm.api.resource.Resource;
import io.jvmm.api.resource.ResourceHandle;
import io.jvmm.api.resource.ResourceKinds;
import java.util.Objects;

/**
 * A battery source that passes the host's batteries through: it reads Linux's
 * {@code power_supply} class under {@code sysfsRoot} every {@code pollMillis} milliseconds and
 * reports a change whenever the summed state differs from the last one. A host without a
 * battery reports no battery (with the mains state), never an error.
 *
 * @param sysfsRoot the {@code power_supply} directory, normally {@value #DEFAULT_SYSFS_ROOT}
 * @param pollMillis how often to read it, at least {@value #MIN_POLL_MILLIS}
 */
public record HostBatteryHandle(String sysfsRoot, long pollMillis) implements ResourceHandle {
    public static final String ID = "host";
    public static final String DEFAULT_SYSFS_ROOT = "/sys/class/power_supply";
    public static final long DEFAULT_POLL_MILLIS = 5000;
    /** Reading sysfs more often than this only costs the host CPU time. */
    public static final long MIN_POLL_MILLIS = 100;

    public HostBatteryHandle {
        Objects.requireNonNull(sysfsRoot, "sysfsRoot");
        if (sysfsRoot.isBlank()) {
            throw new IllegalArgumentException("host battery: sysfs root must not be blank");
        }
        if (pollMillis < MIN_POLL_MILLIS) {
            throw new IllegalArgumentException("host battery: poll interval must be at least "
                    + MIN_POLL_MILLIS + " ms, was " + pollMillis);
        }
    }

    /** The host's real {@code power_supply} tree, read every 5 seconds. */
    public HostBatteryHandle() {
        this(DEFAULT_SYSFS_ROOT, DEFAULT_POLL_MILLIS);
    }

    public Resource<BatterySource> toResource() {
        return Resource.of(ResourceKinds.BATTERY_SOURCE, ID, this);
    }

    /** Both keys are optional: {@code sysfs_root} (string) and {@code poll_millis} (number). */
    public static HostBatteryHandle parse(ConfigReader config) {
        String root = config.has("sysfs_root") ? config.string("sysfs_root") : DEFAULT_SYSFS_ROOT;
        if (root.isBlank()) {
            throw config.error("sysfs_root", "must not be blank (default " + DEFAULT_SYSFS_ROOT + ")");
        }
        long poll = config.has("poll_millis") ? config.u32("poll_millis") : DEFAULT_POLL_MILLIS;
        if (poll < MIN_POLL_MILLIS) {
            throw config.error("poll_millis", "must be at least " + MIN_POLL_MILLIS + " (milliseconds)");
        }
        return new HostBatteryHandle(root, poll);
    }

    @Override
    public void writeConfig(ConfigWriter out) {
        out.string("sysfs_root", sysfsRoot).number("poll_millis", pollMillis);
    }
}
