package io.jvmm.runtime.input;

import io.jvmm.api.input.KeyEvent;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Key specs for typing into a guest (e.g. {@code jvmm ctl keys}), turned into set-1 (translated)
 * scan-code events on a US layout.
 *
 * <p>A spec is a whitespace-separated list of chords. A chord is one key or several joined by
 * {@code -} or {@code +} ({@code ctrl-alt-del}): its keys are pressed left to right and released
 * right to left. A key is a name (case-insensitive: {@code a}, {@code 7}, {@code Enter},
 * {@code Esc}, {@code Space}, {@code Tab}, {@code Backspace}, {@code Up}, {@code Down},
 * {@code Left}, {@code Right}, {@code Ctrl}, {@code Alt}, {@code Shift}, {@code Del},
 * {@code F1}..{@code F12}, ...) or a raw make code in hex ({@code 0x1c}, {@code 0xe053}).
 */
public final class KeyNames {
    private static final String EXAMPLES = "use a letter (a), a digit (7), a name such as Enter, Esc, Space, Tab,"
            + " Backspace, Up, Down, Left, Right, Home, End, PgUp, PgDn, Ins, Del, Ctrl, Alt, Shift, F1..F12,"
            + " or a raw set-1 make code such as 0x1c or 0xe053; join keys pressed together with '-',"
            + " as in ctrl-alt-del";

    /** Name (lower case) to set-1 make code. Immutable after class initialisation. */
    private static final Map<String, Integer> CODES = buildCodes();

    private KeyNames() {}

    /** The make and break events of every chord of {@code spec}, in order. */
    public static List<KeyEvent> parse(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("no keys given: " + EXAMPLES);
        }
        List<KeyEvent> events = new ArrayList<>();
        for (String chord : spec.trim().split("\\s+")) {
            events.addAll(chord(chord));
        }
        return events;
    }

    /** The events of one chord: every key pressed in order, then released in reverse order. */
    public static List<KeyEvent> chord(String chord) {
        String[] names = chord.split("[-+]", -1);
        int[] codes = new int[names.length];
        for (int i = 0; i < names.length; i++) {
            if (names[i].isEmpty()) {
                throw new IllegalArgumentException("empty key name in '" + chord + "': " + EXAMPLES);
            }
            codes[i] = code(names[i], chord);
        }
        List<KeyEvent> events = new ArrayList<>(codes.length * 2);
        for (int c : codes) {
            events.add(new KeyEvent(c, true));
        }
        for (int i = codes.length - 1; i >= 0; i--) {
            events.add(new KeyEvent(codes[i], false));
        }
        return events;
    }

    /** The set-1 make code of one key name or raw hex code. */
    public static int code(String name) {
        return code(name, name);
    }

    /** Every known key name, in a stable order (for help texts). */
    public static List<String> names() {
        return Collections.unmodifiableList(new ArrayList<>(CODES.keySet()));
    }

    private static int code(String name, String chord) {
        String key = name.toLowerCase(Locale.ROOT);
        Integer known = CODES.get(key);
        if (known != null) {
            return known;
        }
        if (key.startsWith("0x") && key.length() > 2) {
            int code;
            try {
                code = Integer.parseInt(key.substring(2), 16);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad raw scan code '" + name + "' in '" + chord + "': " + EXAMPLES);
            }
            // A make code: low byte 0x01..0x7F (bit 7 marks a break), optional prefix byte.
            if (code < 1 || code > 0xFFFF || (code & 0xFF) == 0 || (code & 0x80) != 0) {
                throw new IllegalArgumentException("raw scan code '" + name + "' in '" + chord
                        + "' is not a set-1 make code (low byte 0x01..0x7f, optional prefix byte such as 0xe0)");
            }
            return code;
        }
        throw new IllegalArgumentException("unknown key '" + name + "' in '" + chord + "': " + EXAMPLES);
    }

    private static Map<String, Integer> buildCodes() {
        Map<String, Integer> m = new LinkedHashMap<>();
        // Letters by keyboard row: set-1 codes run along the rows.
        putRow(m, "qwertyuiop", 0x10);
        putRow(m, "asdfghjkl", 0x1E);
        putRow(m, "zxcvbnm", 0x2C);
        putRow(m, "1234567890", 0x02);
        m.put("esc", 0x01);
        m.put("escape", 0x01);
        m.put("minus", 0x0C);
        m.put("equals", 0x0D);
        m.put("backspace", 0x0E);
        m.put("tab", 0x0F);
        m.put("enter", 0x1C);
        m.put("return", 0x1C);
        m.put("ctrl", 0x1D);
        m.put("control", 0x1D);
        m.put("shift", 0x2A);
        m.put("rshift", 0x36);
        m.put("alt", 0x38);
        m.put("space", 0x39);
        m.put("capslock", 0x3A);
        for (int i = 1; i <= 10; i++) {
            m.put("f" + i, 0x3A + i);
        }
        m.put("f11", 0x57);
        m.put("f12", 0x58);
        m.put("rctrl", 0xE01D);
        m.put("altgr", 0xE038);
        m.put("ralt", 0xE038);
        m.put("home", 0xE047);
        m.put("up", 0xE048);
        m.put("pgup", 0xE049);
        m.put("left", 0xE04B);
        m.put("right", 0xE04D);
        m.put("end", 0xE04F);
        m.put("down", 0xE050);
        m.put("pgdn", 0xE051);
        m.put("ins", 0xE052);
        m.put("insert", 0xE052);
        m.put("del", 0xE053);
        m.put("delete", 0xE053);
        return Collections.unmodifiableMap(m);
    }

    private static void putRow(Map<String, Integer> m, String keys, int firstCode) {
        for (int i = 0; i < keys.length(); i++) {
            m.put(String.valueOf(keys.charAt(i)), firstCode + i);
        }
    }
}
