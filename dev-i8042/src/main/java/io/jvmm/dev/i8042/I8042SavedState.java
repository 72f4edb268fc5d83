package io.jvmm.dev.i8042;

import io.jvmm.api.support.StateFormat;

/**
 * Everything a guest can observe of the controller, its keyboard and its mouse, as one value. The
 * compact constructor holds the state's rules; {@link #initial} is the power-on state; {@link
 * #FORMAT} is how it is saved ({@code chipset.i8042}, version 2: version 1 was a hand-written byte
 * layout, no longer read). The IRQ 1 and IRQ 12 levels are not stored: they follow from the command
 * byte and the output buffer's source.
 *
 * @param ram the controller's 32 bytes of RAM; byte 0 is the command byte
 * @param outputBuffer the byte the guest reads at port 0x60
 * @param outputSource who put it there: {@link I8042Device#SOURCE_NONE} (empty), controller, keyboard, mouse
 * @param lastWriteWasCommand status bit 3: the last write went to port 0x64
 * @param dataTarget where the next port-0x60 write goes: a controller command awaiting its data
 *     byte (0x60-0x7F, 0xD1-0xD3), {@link I8042Device#TARGET_KEYBOARD} or {@link I8042Device#TARGET_MOUSE}
 * @param a20 the output port's A20 bit
 * @param mouseQueue the mouse's replies not yet in the output buffer, oldest first
 */
record I8042SavedState(byte[] ram, int outputBuffer, int outputSource, boolean lastWriteWasCommand, int dataTarget,
        boolean a20, Ps2Keyboard.State keyboard, byte[] mouseQueue) {
    static final int RAM_SIZE = 32;

    static final StateFormat<I8042SavedState> FORMAT = StateFormat.of("chipset.i8042", 2, 2,
            (s, out) -> {
                out.bytes("ram", s.ram).u8("output_buffer", s.outputBuffer).u8("output_source", s.outputSource)
                        .bool("last_write_command", s.lastWriteWasCommand).u16("data_target", s.dataTarget)
                        .bool("a20", s.a20);
                Ps2Keyboard.State k = s.keyboard;
                out.bytes("kbd_queue", k.queue()).bool("kbd_scanning", k.scanning())
                        .u8("kbd_pending_command", k.pendingCommand()).u8("kbd_last_sent", k.lastSent())
                        .u8("kbd_leds", k.leds()).u8("kbd_typematic", k.typematic());
                out.bytes("mouse_queue", s.mouseQueue);
            },
            in -> {
                return new I8042SavedState(in.bytes("ram", RAM_SIZE), in.u8("output_buffer"), in.u8("output_source"),
                        in.bool("last_write_command"), in.u16("data_target"), in.bool("a20"),
                        new Ps2Keyboard.State(in.bytes("kbd_queue", Ps2Keyboard.QUEUE_CAPACITY), in.bool("kbd_scanning"),
                                in.u8("kbd_pending_command"), in.u8("kbd_last_sent"), in.u8("kbd_leds"),
                                in.u8("kbd_typematic")),
                        in.bytes("mouse_queue", Ps2Mouse.QUEUE_CAPACITY));
            });

    I8042SavedState {
        if (ram.length != RAM_SIZE) {
            throw new IllegalArgumentException("i8042 state: RAM of " + ram.length + " bytes, expected " + RAM_SIZE);
        }
        if ((outputBuffer & ~0xFF) != 0) {
            throw new IllegalArgumentException("i8042 state: output buffer 0x" + Integer.toHexString(outputBuffer));
        }
        if (outputSource < I8042Device.SOURCE_NONE || outputSource > I8042Device.SOURCE_MOUSE) {
            throw new IllegalArgumentException("i8042 state: unknown output buffer source " + outputSource);
        }
        int t = dataTarget;
        if (!(t == I8042Device.TARGET_KEYBOARD || t == I8042Device.TARGET_MOUSE || (t >= 0x60 && t <= 0x7F)
                || (t >= 0xD1 && t <= 0xD3))) {
            throw new IllegalArgumentException("i8042 state: invalid data-port target 0x" + Integer.toHexString(t));
        }
        java.util.Objects.requireNonNull(keyboard, "keyboard");
        if (mouseQueue.length > Ps2Mouse.QUEUE_CAPACITY) {
            throw new IllegalArgumentException("i8042 state: mouse queue of " + mouseQueue.length
                    + " bytes exceeds " + Ps2Mouse.QUEUE_CAPACITY);
        }
        ram = ram.clone();
        mouseQueue = mouseQueue.clone();
    }

    /** Power-on: RAM zero but the command byte, output buffer empty, A20 on, keyboard and mouse reset. */
    static I8042SavedState initial() {
        byte[] ram = new byte[RAM_SIZE];
        ram[0] = (byte) I8042Device.INITIAL_COMMAND_BYTE;
        return new I8042SavedState(ram, 0, I8042Device.SOURCE_NONE, false, I8042Device.TARGET_KEYBOARD, true,
                Ps2Keyboard.State.initial(), new byte[0]);
    }

    @Override
    public byte[] ram() {
        return ram.clone();
    }

    @Override
    public byte[] mouseQueue() {
        return mouseQueue.clone();
    }
}
