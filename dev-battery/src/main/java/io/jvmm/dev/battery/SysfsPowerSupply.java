package io.jvmm.dev.battery;

import io.jvmm.api.battery.HostBatteryUpdate;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads Linux's {@code power_supply} class (Documentation/ABI/testing/sysfs-class-power) into one
 * summed battery state. Missing or unreadable files are missing values, never errors: drivers
 * differ in what they offer, and files of a battery being unplugged fail with EIO or ENODATA.
 *
 * <p>Units in sysfs are µW, µWh, µAh, µA and µV; the result is in mW and mWh.
 */
final class SysfsPowerSupply {
    /** A missing value; below every real one, so max(v, 0) treats it as 0. */
    private static final long UNKNOWN = Long.MIN_VALUE;
    private static final long MICRO = 1_000_000;

    private SysfsPowerSupply() {}

    /** The state of all batteries under {@code root}; no battery (with the mains state) if none. */
    static HostBatteryUpdate read(Path root) {
        boolean ac = false;
        int batteries = 0;
        boolean charging = false;
        boolean discharging = false;
        long rateUw = 0;
        long remainingUwh = 0;
        long fullUwh = 0;
        for (Path supply : supplies(root)) {
            String type = string(supply.resolve("type"));
            if (type == null || "Device".equals(string(supply.resolve("scope")))) {
                continue; // unknown, or a peripheral's battery (mouse, headset): not the host's
            }
            switch (type) {
                case "Mains":
                case "USB":
                    ac |= number(supply.resolve("online")) == 1;
                    break;
                case "Battery":
                    if (number(supply.resolve("present")) == 0) {
                        break; // an empty battery bay; a missing file means present
                    }
                    Battery b = battery(supply);
                    batteries++;
                    charging |= b.status == Status.CHARGING;
                    discharging |= b.status == Status.DISCHARGING;
                    rateUw = saturatingAdd(rateUw, Math.max(b.powerUw, 0));
                    remainingUwh = saturatingAdd(remainingUwh, Math.max(b.nowUwh, 0));
                    fullUwh = saturatingAdd(fullUwh, Math.max(b.fullUwh, 0));
                    break;
                default:
                    break; // UPS, Wireless and so on: not this machine's mains or battery
            }
        }
        if (batteries == 0) {
            return new HostBatteryUpdate(false, false, false, 0, 0, 0, ac);
        }
        // Two batteries may disagree (one charging while the other is full); charging wins.
        return new HostBatteryUpdate(true, charging, discharging && !charging,
                rateUw / 1000, remainingUwh / 1000, fullUwh / 1000, ac);
    }

    private enum Status { CHARGING, DISCHARGING, OTHER }

    private record Battery(Status status, long powerUw, long nowUwh, long fullUwh) {}

    private static Battery battery(Path dir) {
        String statusText = string(dir.resolve("status"));
        Status status = "Charging".equals(statusText) ? Status.CHARGING
                : "Discharging".equals(statusText) ? Status.DISCHARGING : Status.OTHER;
        long voltageNow = positive(number(dir.resolve("voltage_now")));
        // Charge is converted with the design voltage where known, like UPower: voltage_now sags
        // under load and would make the capacity jump.
        long designVoltage = positive(number(dir.resolve("voltage_min_design")));
        long chargeVoltage = designVoltage != UNKNOWN ? designVoltage : voltageNow;

        // power_now and current_now are signed on some drivers (negative while discharging)
        long power = magnitude(number(dir.resolve("power_now")));
        if (power == UNKNOWN) {
            power = microProduct(magnitude(number(dir.resolve("current_now"))), voltageNow);
        }

        long full = firstKnown(nonNegative(number(dir.resolve("energy_full"))),
                nonNegative(number(dir.resolve("energy_full_design"))),
                microProduct(nonNegative(number(dir.resolve("charge_full"))), chargeVoltage),
                microProduct(nonNegative(number(dir.resolve("charge_full_design"))), chargeVoltage));
        long now = firstKnown(nonNegative(number(dir.resolve("energy_now"))),
                microProduct(nonNegative(number(dir.resolve("charge_now"))), chargeVoltage));
        if (now == UNKNOWN && full != UNKNOWN) {
            long percent = nonNegative(number(dir.resolve("capacity")));
            if (percent != UNKNOWN) {
                now = full / 100 * Math.min(percent, 100);
            }
        }
        if (full != UNKNOWN && now > full) {
            now = full; // some gauges overshoot while calibrating
        }
        return new Battery(status, power, now, full);
    }

    private static List<Path> supplies(Path root) {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(root)) {
            for (Path p : dir) {
                if (Files.isDirectory(p)) { // entries are symlinks into /sys/devices
                    out.add(p);
                }
            }
        } catch (IOException | RuntimeException e) {
            return List.of(); // no power_supply class (containers, some VMs): no battery, no AC
        }
        out.sort(null);
        return out;
    }

    /** The trimmed content, or null if missing or unreadable. */
    private static String string(Path file) {
        try {
            return new String(Files.readAllBytes(file), StandardCharsets.UTF_8).strip();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The integer in the file, or {@link #UNKNOWN} if missing, unreadable or not an integer. */
    private static long number(Path file) {
        String s = string(file);
        if (s == null) {
            return UNKNOWN;
        }
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return UNKNOWN;
        }
    }

    private static long magnitude(long v) {
        return v == UNKNOWN ? UNKNOWN : Math.abs(v);
    }

    private static long positive(long v) {
        return v > 0 ? v : UNKNOWN;
    }

    private static long nonNegative(long v) {
        return v >= 0 ? v : UNKNOWN;
    }

    /** {@code a * b / 10^6} (µA·µV → µW, µAh·µV → µWh), or unknown if either is or it overflows. */
    private static long microProduct(long a, long b) {
        if (a == UNKNOWN || b == UNKNOWN) {
            return UNKNOWN;
        }
        try {
            return Math.multiplyExact(a, b) / MICRO;
        } catch (ArithmeticException e) {
            return UNKNOWN;
        }
    }

    private static long firstKnown(long... values) {
        for (long v : values) {
            if (v != UNKNOWN) {
                return v;
            }
        }
        return UNKNOWN;
    }

    private static long saturatingAdd(long a, long b) {
        long r = a + b;
        return r < 0 ? Long.MAX_VALUE : r;
    }
}
