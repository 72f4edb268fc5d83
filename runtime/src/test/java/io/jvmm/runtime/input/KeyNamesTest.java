package io.jvmm.runtime.input;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.input.KeyEvent;
import java.util.List;
import org.junit.jupiter.api.Test;

class KeyNamesTest {
    private static KeyEvent make(int code) {
        return new KeyEvent(code, true);
    }

    private static KeyEvent brk(int code) {
        return new KeyEvent(code, false);
    }

    @Test
    void singleKeysAreMakeThenBreak() {
        assertEquals(List.of(make(0x1E), brk(0x1E)), KeyNames.parse("a"));
        assertEquals(List.of(make(0x1C), brk(0x1C)), KeyNames.parse("Enter"));
        assertEquals(List.of(make(0x1C), brk(0x1C)), KeyNames.parse("0x1c"));
        assertEquals(List.of(make(0xE053), brk(0xE053)), KeyNames.parse("0xE053"));
    }

    @Test
    void chordsPressInOrderAndReleaseInReverse() {
        assertEquals(List.of(make(0x1D), make(0x38), make(0xE053), brk(0xE053), brk(0x38), brk(0x1D)),
                KeyNames.parse("ctrl-alt-del"));
        assertEquals(KeyNames.parse("ctrl-alt-del"), KeyNames.parse("Ctrl+Alt+Delete"));
    }

    @Test
    void sequencesAreSeparatedByWhitespace() {
        assertEquals(List.of(make(0x23), brk(0x23), make(0x17), brk(0x17), make(0x1C), brk(0x1C)),
                KeyNames.parse("  h i\tEnter "));
    }

    @Test
    void knownCodes() {
        int[][] table = {
            {'q', 0x10}, {'p', 0x19}, {'a', 0x1E}, {'l', 0x26}, {'z', 0x2C}, {'m', 0x32},
            {'1', 0x02}, {'9', 0x0A}, {'0', 0x0B},
        };
        for (int[] row : table) {
            assertEquals(row[1], KeyNames.code(String.valueOf((char) row[0])), String.valueOf((char) row[0]));
        }
        assertEquals(0x01, KeyNames.code("Esc"));
        assertEquals(0x39, KeyNames.code("space"));
        assertEquals(0x0F, KeyNames.code("TAB"));
        assertEquals(0x0E, KeyNames.code("Backspace"));
        assertEquals(0x2A, KeyNames.code("shift"));
        assertEquals(0xE048, KeyNames.code("up"));
        assertEquals(0xE050, KeyNames.code("down"));
        assertEquals(0xE04B, KeyNames.code("left"));
        assertEquals(0xE04D, KeyNames.code("right"));
        assertEquals(0x3B, KeyNames.code("F1"));
        assertEquals(0x44, KeyNames.code("F10"));
        assertEquals(0x57, KeyNames.code("F11"));
        assertEquals(0x58, KeyNames.code("F12"));
        assertTrue(KeyNames.names().contains("enter"));
    }

    @Test
    void unknownNamesExplainWhatWorks() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KeyNames.parse("ctrl-foo"));
        assertTrue(e.getMessage().contains("unknown key 'foo' in 'ctrl-foo'"), e.getMessage());
        assertTrue(e.getMessage().contains("ctrl-alt-del") && e.getMessage().contains("0x1c"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> KeyNames.parse(""));
        assertThrows(IllegalArgumentException.class, () -> KeyNames.parse("ctrl--a"));
        assertThrows(IllegalArgumentException.class, () -> KeyNames.parse("0xzz"));
        assertThrows(IllegalArgumentException.class, () -> KeyNames.parse("0x9c"), "a break code");
        assertThrows(IllegalArgumentException.class, () -> KeyNames.parse("0x10000"));
        assertThrows(IllegalArgumentException.class, () -> KeyNames.parse("0x00"));
    }
}
