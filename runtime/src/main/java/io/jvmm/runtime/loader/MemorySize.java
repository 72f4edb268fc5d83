package io.jvmm.runtime.loader;

import java.util.Locale;

/**
 * Memory sizes as users write them: a whole number with an optional binary unit ({@code 512K},
 * {@code 256M}, {@code 2G}, {@code 1T}; {@code 1G} = 1 GiB; {@code MB}/{@code MiB} spellings and
 * lower case also accepted) or a plain byte count.
 */
public final class MemorySize {
    public static final long KIB = 1L << 10;
    public static final long MIB = 1L << 20;
    public static final long GIB = 1L << 30;
    public static final long TIB = 1L << 40;

    private MemorySize() {}

    /**
     * Parses {@code text} into bytes. Range checks (minimum, alignment) are the caller's business;
     * this only rejects what is not a size at all.
     *
     * @param option the setting's name for messages, e.g. {@code --memory}
     */
    public static long parse(String option, String text) throws ConfigurationException {
        if (text == null || text.isBlank()) {
            throw new ConfigurationException(
                    "missing " + option + " value: expected a size such as 512M or 2G");
        }
        String trimmed = text.trim();
        int digitsEnd = 0;
        while (digitsEnd < trimmed.length() && isAsciiDigit(trimmed.charAt(digitsEnd))) {
            digitsEnd++;
        }
        if (digitsEnd == 0) {
            String why = trimmed.startsWith("-")
                    ? "must be a positive size such as 512M or 2G"
                    : "expected a whole number with an optional binary unit K, M, G or T, such as 512M or 2G";
            throw new ConfigurationException(invalid(option, text) + why);
        }
        String unit = trimmed.substring(digitsEnd).trim();
        long multiplier = multiplier(unit);
        if (multiplier == 0) {
            String why = unit.chars().allMatch(Character::isLetter)
                    ? "unknown unit '" + unit + "' (use K, M, G or T; units are binary, 1M = 1 MiB)"
                    : "expected a whole number with an optional binary unit K, M, G or T, such as 512M or 2G";
            throw new ConfigurationException(invalid(option, text) + why);
        }
        try {
            long number = Long.parseLong(trimmed.substring(0, digitsEnd));
            return Math.multiplyExact(number, multiplier);
        } catch (NumberFormatException | ArithmeticException e) {
            // only digits reach parseLong, so both mean "does not fit in 63 bits"
            throw new ConfigurationException(invalid(option, text) + "too large");
        }
    }

    /** The exact size in the largest binary unit that divides it, e.g. {@code 256 MiB}, {@code 4097 B}. */
    public static String format(long bytes) {
        if (bytes != 0) {
            if (bytes % TIB == 0) {
                return bytes / TIB + " TiB";
            }
            if (bytes % GIB == 0) {
                return bytes / GIB + " GiB";
            }
            if (bytes % MIB == 0) {
                return bytes / MIB + " MiB";
            }
            if (bytes % KIB == 0) {
                return bytes / KIB + " KiB";
            }
        }
        return bytes + " B";
    }

    static String invalid(String option, String text) {
        return "invalid " + option + " '" + text + "': ";
    }

    /** Bytes per unit, or 0 when the unit is not one we know. */
    private static long multiplier(String unit) {
        switch (unit.toLowerCase(Locale.ROOT)) {
            case "", "b":
                return 1;
            case "k", "kb", "kib":
                return KIB;
            case "m", "mb", "mib":
                return MIB;
            case "g", "gb", "gib":
                return GIB;
            case "t", "tb", "tib":
                return TIB;
            default:
                return 0;
        }
    }

    private static boolean isAsciiDigit(char c) {
        return c >= '0' && c <= '9';
    }
}
