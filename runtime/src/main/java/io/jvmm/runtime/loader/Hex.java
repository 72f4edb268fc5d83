package io.jvmm.runtime.loader;

import java.util.Locale;

/**
 * Hexadecimal text for messages and names made on every start. {@code String.format} would do, but
 * its first {@code %d} initialises the locale's number symbols and the JDK's Unicode character
 * tables: about 10 ms of a {@code jvmm run} on the bench host (seen with jdb on that call); its
 * {@code %x} gives the same text as these.
 */
public final class Hex {
    private Hex() {}

    /** {@code 0x1f}: what {@code 0x%x} gives. */
    public static String of(long value) {
        return "0x" + Long.toHexString(value);
    }

    /** {@code value} in at least {@code digits} hex digits, zero-padded, upper case if {@code upper}: {@code %02X}. */
    public static String padded(long value, int digits, boolean upper) {
        String hex = Long.toHexString(value);
        if (upper) {
            hex = hex.toUpperCase(Locale.ROOT);
        }
        return hex.length() >= digits ? hex : "0".repeat(digits - hex.length()) + hex;
    }
}
