package io.jvmm.api.input;

/**
 * One host key transition.
 *
 * @param code a set-1 (translated) scan code; codes above 0xFF carry a prefix byte in the high
 *     byte, e.g. {@code 0xE048} for cursor up
 * @param make true for press, false for release
 */
public record KeyEvent(int code, boolean make) {
    public KeyEvent {
        if (code < 0 || code > 0xFFFF) {
            throw new IllegalArgumentException("scan code must be 0..0xFFFF, was " + code);
        }
    }
}
