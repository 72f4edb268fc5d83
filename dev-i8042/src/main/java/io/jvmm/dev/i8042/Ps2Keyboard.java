package io.jvmm.dev.i8042;

import io.jvmm.api.input.KeyEvent;
import io.jvmm.api.support.ByteRing;
import io.jvmm.api.support.LogRateLimiter;

/**
 * A PS/2 keyboard behind the i8042. Host keys arrive already as translated set-1 codes (what the
 * guest sees with the controller's translation on), so no translation happens here.
 *
 * <p>Not thread-safe: the owning controller calls it under its device lock.
 */
final class Ps2Keyboard {
    private static final System.Logger LOG = System.getLogger(Ps2Keyboard.class.getName());

    /** The keyboard's own output queue, in bytes. */
    static final int QUEUE_CAPACITY = 21;
    /** Host input is pulled only while fewer bytes are queued, leaving room for an E0-prefixed code. */
    static final int PULL_LIMIT = 19;

    static final int ACK = 0xFA;
    /** Replaces the newest byte of a full queue: the PS/2 overrun marker. */
    static final int OVERRUN = 0x00;
    static final int RESEND = 0xFE;
    static final int ECHO = 0xEE;
    static final int SELF_TEST_PASSED = 0xAA;
    /** Identify reply of an MF2 keyboard as seen through translation. */
    static final int ID_1 = 0xAB;
    static final int ID_2 = 0x41;

    static final int CMD_SET_LEDS = 0xED;
    static final int CMD_ECHO = 0xEE;
    static final int CMD_SCAN_CODE_SET = 0xF0;
    static final int CMD_IDENTIFY = 0xF2;
    static final int CMD_TYPEMATIC = 0xF3;
    static final int CMD_ENABLE = 0xF4;
    static final int CMD_DISABLE = 0xF5;
    static final int CMD_DEFAULTS = 0xF6;
    static final int CMD_RESEND = 0xFE;
    static final int CMD_RESET = 0xFF;

    /** The only scan-code set produced (set 2, translated to set 1 by the controller). */
    static final int SCAN_CODE_SET = 2;
    /** 10.9 characters per second after 500 ms: the power-on typematic setting. */
    static final int DEFAULT_TYPEMATIC = 0x2B;

    /**
     * The keyboard's part of the controller's saved state ({@link I8042SavedState}).
     *
     * @param queue replies and keys not yet taken by the controller, oldest first
     * @param pendingCommand a command awaiting its data byte, or 0
     * @param lastSent the last byte the controller took, for the resend command
     */
    record State(byte[] queue, boolean scanning, int pendingCommand, int lastSent, int leds, int typematic) {
        State {
            if (queue.length > QUEUE_CAPACITY) {
                throw new IllegalArgumentException("i8042 state: keyboard queue of " + queue.length
                        + " bytes exceeds " + QUEUE_CAPACITY);
            }
            int p = pendingCommand;
            if (p != 0 && p != CMD_SET_LEDS && p != CMD_SCAN_CODE_SET && p != CMD_TYPEMATIC && (p < 0xFB || p > 0xFD)) {
                throw new IllegalArgumentException("i8042 state: keyboard pending command 0x" + Integer.toHexString(p)
                        + " takes no data byte");
            }
            if ((lastSent & ~0xFF) != 0 || (leds & ~0x07) != 0 || (typematic & ~0x7F) != 0) {
                throw new IllegalArgumentException("i8042 state: keyboard last byte 0x" + Integer.toHexString(lastSent)
                        + ", LEDs 0x" + Integer.toHexString(leds) + " or typematic 0x"
                        + Integer.toHexString(typematic) + " out of range");
            }
            queue = queue.clone();
        }

        /** Power-on: empty queue, scanning, no command pending, LEDs off, the default typematic rate. */
        static State initial() {
            return new State(new byte[0], true, 0, 0, 0, DEFAULT_TYPEMATIC);
        }

        @Override
        public byte[] queue() {
            return queue.clone();
        }
    }

    private final ByteRing out = new ByteRing(QUEUE_CAPACITY);
    private final LogRateLimiter warnings;
    private boolean scanning;
    /** A command awaiting its data byte, or 0. */
    private int pendingCommand;
    /** The last byte the controller took, for the resend command. */
    private int lastSent;
    private int leds;
    private int typematic;

    Ps2Keyboard(LogRateLimiter warnings) {
        this.warnings = warnings;
        reset();
    }

    /** Power-on state: {@link State#initial()}. */
    void reset() {
        restore(State.initial());
    }

    private void defaults() {
        leds = 0;
        typematic = DEFAULT_TYPEMATIC;
    }

    boolean hasOutput() {
        return !out.isEmpty();
    }

    /** Takes the next byte for the controller's output buffer. Only call when {@link #hasOutput()}. */
    int take() {
        lastSent = out.pop();
        return lastSent;
    }

    /** Whether the keyboard would take host input now (scanning and room in its queue). */
    boolean wantsHostInput() {
        return scanning && out.size() < PULL_LIMIT;
    }

    /** Queues one host key: a prefix byte first for codes above 0xFF; breaks set bit 7 of the last byte. */
    void hostKey(KeyEvent event) {
        int code = event.code();
        if (code > 0xFF) {
            send(code >>> 8);
        }
        int last = code & 0xFF;
        send(event.make() ? last : last | 0x80);
    }

    /** A byte the guest wrote to the keyboard through the controller's data port. */
    void write(int value) {
        int pending = pendingCommand;
        if (pending != 0) {
            pendingCommand = 0;
            // A command byte where data was expected is a new (or re-sent) command, as real
            // keyboards do; e.g. 0xED, 0xED re-sends the LED command.
            if (value < CMD_SET_LEDS) {
                commandData(pending, value);
                return;
            }
        }
        command(value);
    }

    private void commandData(int command, int value) {
        switch (command) {
            case CMD_SET_LEDS -> {
                leds = value & 0x07;
                send(ACK);
            }
            case CMD_SCAN_CODE_SET -> {
                if (value == 0) {
                    send(ACK);
                    send(SCAN_CODE_SET);
                } else if (value <= 3) {
                    send(ACK);
                    if (value != SCAN_CODE_SET && warnings.tryAcquire() != LogRateLimiter.SUPPRESSED) {
                        LOG.log(System.Logger.Level.WARNING, "i8042 keyboard: guest selected scan-code set " + value
                                + "; only set 2 (translated) is supported, keys stay in set 1 translation");
                    }
                } else {
                    send(RESEND);
                }
            }
            case CMD_TYPEMATIC -> {
                typematic = value & 0x7F;
                send(ACK);
            }
            default -> send(ACK); // 0xFB..0xFD: per-key type settings, ignored
        }
    }

    private void command(int value) {
        switch (value) {
            case CMD_SET_LEDS, CMD_SCAN_CODE_SET, CMD_TYPEMATIC, 0xFB, 0xFC, 0xFD -> {
                send(ACK);
                pendingCommand = value;
            }
            case CMD_ECHO -> send(ECHO);
            case CMD_IDENTIFY -> {
                send(ACK);
                send(ID_1);
                send(ID_2);
            }
            case CMD_ENABLE -> {
                out.clear();
                scanning = true;
                send(ACK);
            }
            case CMD_DISABLE -> {
                // Default-disable: power-on settings, empty queue, no scanning. Host keys typed
                // meanwhile stay in the input source.
                out.clear();
                defaults();
                scanning = false;
                send(ACK);
            }
            case CMD_DEFAULTS -> {
                // Set-default: power-on settings, scanning continues.
                out.clear();
                defaults();
                scanning = true;
                send(ACK);
            }
            case 0xF7, 0xF8, 0xF9, 0xFA -> send(ACK); // set-3 key types: accepted, ignored
            case CMD_RESEND -> send(lastSent);
            case CMD_RESET -> {
                reset();
                send(ACK);
                send(SELF_TEST_PASSED);
            }
            default -> send(RESEND);
        }
    }

    boolean scanning() {
        return scanning;
    }

    int leds() {
        return leds;
    }

    int typematic() {
        return typematic;
    }

    State save() {
        return new State(out.toArray(), scanning, pendingCommand, lastSent, leds, typematic);
    }

    /** Applies a state (checked when it was built). */
    void restore(State s) {
        out.load(s.queue());
        scanning = s.scanning();
        pendingCommand = s.pendingCommand();
        lastSent = s.lastSent();
        leds = s.leds();
        typematic = s.typematic();
    }

    /** Queues a byte for the controller; when the queue is full its newest byte becomes the overrun marker. */
    private void send(int b) {
        if (!out.push(b)) {
            out.replaceNewest(OVERRUN);
        }
    }
}
