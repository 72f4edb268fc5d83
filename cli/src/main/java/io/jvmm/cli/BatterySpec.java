package io.jvmm.cli;

import io.jvmm.api.battery.BatterySource;
import io.jvmm.api.battery.HostBatteryUpdate;
import io.jvmm.api.handles.FixedBatteryHandle;
import io.jvmm.api.handles.HostBatteryHandle;
import io.jvmm.api.resource.Resource;
import java.util.Locale;

/**
 * Parses the command line's {@code --battery SPEC} shorthand into a battery source resource.
 *
 * <p>Accepted forms (case-insensitive, no spaces):
 * <ul>
 *   <li>{@code N%} with {@code N} in 0..100: a present battery charging at 1 mW with
 *       {@code N*10} of 1000 mWh and AC online ({@code 95%} is OpenVMM's default battery);</li>
 *   <li>{@code host}: the host's own batteries, read from {@code /sys/class/power_supply};</li>
 *   <li>{@code absent} or {@code none}: no battery, no AC;</li>
 *   <li>a comma-separated list of parts, each at most once:
 *     <ul>
 *       <li>{@code present} or {@code absent} (default {@code present});</li>
 *       <li>{@code charging}, {@code discharging} or {@code idle} (default {@code idle}: neither,
 *           e.g. full);</li>
 *       <li>{@code rate=MW}: charge or discharge rate in mW (default 0);</li>
 *       <li>{@code remaining=MWH} and {@code max=MWH}: capacities in mWh, both required for a
 *           present battery, {@code remaining <= max}, {@code max > 0};</li>
 *       <li>{@code ac} or {@code no-ac}: mains power (default {@code no-ac}).</li>
 *     </ul>
 *     An absent battery takes only {@code ac}/{@code no-ac}, e.g. {@code absent,ac} for a desktop.
 *     Numbers are decimal, 0..4294967295.</li>
 * </ul>
 * Example: {@code present,charging,rate=1500,remaining=40000,max=50000,ac}.
 */
public final class BatterySpec {
    private static final String SYNTAX_AFTER_PERCENT = " | host | absent | none | "
            + "[present|absent],[charging|discharging|idle],rate=MW,remaining=MWH,max=MWH,[ac|no-ac] "
            + "(e.g. present,charging,rate=1500,remaining=40000,max=50000,ac)";

    /** The syntax, for error messages. */
    public static final String SYNTAX = "N%" + SYNTAX_AFTER_PERCENT;

    /** The syntax for picocli descriptions, which are format strings: '%' written as "%%". */
    static final String SYNTAX_HELP = "N%%" + SYNTAX_AFTER_PERCENT;

    private static final long U32_MAX = 0xFFFF_FFFFL;

    private BatterySpec() {}

    /**
     * The source {@code spec} describes.
     *
     * @throws IllegalArgumentException naming the bad part and showing {@link #SYNTAX}
     */
    public static Resource<BatterySource> parse(String spec) {
        if (spec == null || spec.isBlank()) {
            throw error(String.valueOf(spec), "is empty");
        }
        String s = spec.strip().toLowerCase(Locale.ROOT);
        switch (s) {
            case "host":
                return new HostBatteryHandle().toResource();
            case "absent":
            case "none":
                return new FixedBatteryHandle(HostBatteryUpdate.ABSENT).toResource();
            default:
                break;
        }
        if (s.endsWith("%")) {
            return new FixedBatteryHandle(percent(spec, s)).toResource();
        }
        return new FixedBatteryHandle(full(spec, s)).toResource();
    }

    /** Parses just the state of a fixed battery ({@code host} is not a state and is rejected). */
    public static HostBatteryUpdate parseState(String spec) {
        Resource<BatterySource> r = parse(spec);
        if (r.handle() instanceof FixedBatteryHandle f) {
            return f.state();
        }
        throw error(spec, "'host' is a source, not a battery state");
    }

    private static HostBatteryUpdate percent(String spec, String s) {
        String digits = s.substring(0, s.length() - 1);
        int pct;
        try {
            pct = digits.isEmpty() ? -1 : Integer.parseInt(digits);
        } catch (NumberFormatException e) {
            pct = -1;
        }
        if (pct < 0 || pct > 100 || !digits.chars().allMatch(Character::isDigit)) {
            throw error(spec, "'" + s + "' is not a whole percentage 0%..100%");
        }
        return new HostBatteryUpdate(true, true, false, 1, pct * 10L, 1000, true);
    }

    private static HostBatteryUpdate full(String spec, String s) {
        Boolean present = null;
        String activity = null;
        Boolean ac = null;
        long rate = -1;
        long remaining = -1;
        long max = -1;
        for (String part : s.split(",", -1)) {
            if (part.isEmpty()) {
                throw error(spec, "has an empty part (two commas in a row, or a trailing comma)");
            }
            int eq = part.indexOf('=');
            if (eq >= 0) {
                String key = part.substring(0, eq);
                long value = number(spec, part, part.substring(eq + 1));
                switch (key) {
                    case "rate":
                        rate = once(spec, part, rate, value);
                        break;
                    case "remaining":
                        remaining = once(spec, part, remaining, value);
                        break;
                    case "max":
                        max = once(spec, part, max, value);
                        break;
                    default:
                        throw error(spec, "unknown setting '" + key + "' in '" + part
                                + "' (settings are rate=, remaining= and max=)");
                }
                continue;
            }
            switch (part) {
                case "present":
                case "absent":
                    if (present != null) {
                        throw error(spec, "'" + part + "': presence given twice");
                    }
                    present = part.equals("present");
                    break;
                case "charging":
                case "discharging":
                case "idle":
                    if (activity != null) {
                        throw error(spec, "'" + part + "': '" + activity
                                + "' was already given; use one of charging, discharging, idle");
                    }
                    activity = part;
                    break;
                case "ac":
                case "no-ac":
                    if (ac != null) {
                        throw error(spec, "'" + part + "': AC state given twice");
                    }
                    ac = part.equals("ac");
                    break;
                default:
                    throw error(spec, "unknown part '" + part + "'");
            }
        }
        boolean acOnline = ac != null && ac;
        if (present != null && !present) {
            if (activity != null || rate >= 0 || remaining >= 0 || max >= 0) {
                throw error(spec, "an absent battery takes only ac or no-ac");
            }
            return new HostBatteryUpdate(false, false, false, 0, 0, 0, acOnline);
        }
        if (remaining < 0 || max < 0) {
            throw error(spec, "a present battery needs remaining=MWH and max=MWH");
        }
        if (max == 0) {
            throw error(spec, "max=0: the full capacity must be above 0 mWh");
        }
        if (remaining > max) {
            throw error(spec, "remaining=" + remaining + " is above max=" + max);
        }
        return new HostBatteryUpdate(true, "charging".equals(activity), "discharging".equals(activity),
                Math.max(rate, 0), remaining, max, acOnline);
    }

    private static long once(String spec, String part, long previous, long value) {
        if (previous >= 0) {
            throw error(spec, "'" + part + "': given twice");
        }
        return value;
    }

    private static long number(String spec, String part, String digits) {
        if (digits.isEmpty() || digits.length() > 10 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw error(spec, "'" + part + "' needs a decimal number 0..4294967295");
        }
        long v = Long.parseLong(digits);
        if (v > U32_MAX) {
            throw error(spec, "'" + part + "' is above 4294967295");
        }
        return v;
    }

    private static IllegalArgumentException error(String spec, String problem) {
        return new IllegalArgumentException("battery spec '" + spec + "': " + problem + "; expected " + SYNTAX);
    }
}
