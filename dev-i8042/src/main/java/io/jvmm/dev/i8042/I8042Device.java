package io.jvmm.dev.i8042;

import io.jvmm.api.device.BoardServices;
import io.jvmm.api.device.AcpiNode;
import io.jvmm.api.device.Capabilities;
import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.DeviceLifecycle;
import io.jvmm.api.device.DeviceWaker;
import io.jvmm.api.device.IoRegion;
import io.jvmm.api.device.IoResult;
import io.jvmm.api.device.LineInterrupt;
import io.jvmm.api.device.PollDevice;
import io.jvmm.api.device.PortIoIntercept;
import io.jvmm.api.device.PowerAction;
import io.jvmm.api.device.SaveRestore;
import io.jvmm.api.device.SavedStateBlob;
import io.jvmm.api.input.KeyEvent;
import io.jvmm.api.input.KeyboardInput;
import io.jvmm.api.support.LogRateLimiter;
import java.util.List;

/**
 * The i8042 keyboard controller: one output buffer shared by the controller, the PS/2 keyboard
 * and the PS/2 mouse, a command byte and 32 bytes of RAM (the command byte is RAM byte 0), the
 * A20 and reset output lines.
 *
 * <p>Called under the device lock (port I/O on vCPU threads, polls on the device thread).
 * Port I/O allocates nothing; only rate-limited warnings do.
 */
final class I8042Device implements ChipsetDevice, PortIoIntercept, DeviceLifecycle, SaveRestore {
    private static final System.Logger LOG = System.getLogger(I8042Device.class.getName());

    static final int DATA_PORT = 0x60;
    static final int COMMAND_PORT = 0x64;
    /** The declared regions, by index: {@link #DATA} and {@link #COMMAND}. */
    static final List<IoRegion> REGIONS = List.of(new IoRegion("data", DATA_PORT, 1),
            new IoRegion("command", COMMAND_PORT, 1));
    static final int DATA = 0;
    static final int COMMAND = 1;
    /** The ISA IRQs of the keyboard and the aux (mouse) port. */
    static final int KEYBOARD_IRQ = 1;
    static final int AUX_IRQ = 12;

    // Status register (read 0x64).
    static final int STATUS_OUTPUT_FULL = 0x01;
    static final int STATUS_SYSTEM_FLAG = 0x04;
    static final int STATUS_LAST_WRITE_COMMAND = 0x08;
    static final int STATUS_KEYBOARD_UNLOCKED = 0x10;
    static final int STATUS_AUX_OUTPUT_FULL = 0x20;

    // Command byte (RAM byte 0).
    static final int CB_KEYBOARD_IRQ = 0x01;
    static final int CB_AUX_IRQ = 0x02;
    static final int CB_KEYBOARD_DISABLED = 0x10;
    static final int CB_AUX_DISABLED = 0x20;
    static final int CB_TRANSLATE = 0x40;
    static final int INITIAL_COMMAND_BYTE = 0x47;

    // Output port (0xD0 / 0xD1).
    static final int OP_RESET_DEASSERTED = 0x01;
    static final int OP_A20 = 0x02;

    /** Who put the byte in the output buffer: it decides the AUX bit and the IRQ. */
    static final int SOURCE_NONE = 0;
    static final int SOURCE_CONTROLLER = 1;
    static final int SOURCE_KEYBOARD = 2;
    static final int SOURCE_MOUSE = 3;

    /** Data-port write targets besides a controller command (0..0xFF) awaiting its data byte. */
    static final int TARGET_KEYBOARD = 0x100;
    static final int TARGET_MOUSE = 0x101;

    private final BoardServices board;
    private final DeviceWaker waker;
    private final KeyboardInput input;
    private final LineInterrupt keyboardIrq;
    private final LineInterrupt auxIrq;
    private final LogRateLimiter warnings;
    private final Ps2Keyboard keyboard;
    private final Ps2Mouse mouse = new Ps2Mouse();
    /** The poll work is its own object; the rest is this device. */
    private final Capabilities capabilities = Capabilities.builder()
            .portIo(this).pollDevice(this::pullHostInput).lifecycle(this).savedState(this)
            .acpiNodes(ACPI_NODES).build();
    /**
     * The keyboard ({@code PNP0303}: both ports and IRQ 1) and the mouse port ({@code PNP0F13}: IRQ 12)
     * as ACPI nodes, so Linux's i8042 finds the controller through PNP instead of probing.
     */
    static final List<AcpiNode> ACPI_NODES = List.of(new AcpiNode("PS2K", "PNP0303", 0, List.of(KEYBOARD_IRQ)),
            new AcpiNode("PS2M", "PNP0F13", 0, List.of(AUX_IRQ)));

    private final byte[] ram = new byte[32];
    private int outputBuffer;
    private int outputSource;
    private boolean lastWriteWasCommand;
    private int dataTarget;
    private boolean a20;

    I8042Device(BoardServices board, KeyboardInput input, LineInterrupt keyboardIrq, LineInterrupt auxIrq,
            LogRateLimiter warnings) {
        this.board = board;
        this.waker = board.waker();
        this.input = input;
        this.keyboardIrq = keyboardIrq;
        this.auxIrq = auxIrq;
        this.warnings = warnings;
        this.keyboard = new Ps2Keyboard(warnings);
        apply(I8042SavedState.initial());
    }

    @Override
    public Capabilities capabilities() {
        return capabilities;
    }

    // ---- port I/O ----

    @Override
    public List<IoRegion> pioRegions() {
        return REGIONS;
    }

    @Override
    public IoResult ioRead(int region, int offset, byte[] data) {
        if (data.length != 1) {
            return IoResult.INVALID_ACCESS_SIZE;
        }
        switch (region) {
            case DATA -> {
                data[0] = (byte) outputBuffer;
                outputSource = SOURCE_NONE;
                refill();
                updateLines();
                if (outputSource == SOURCE_NONE && keyboardTakesHostInput()) {
                    // Nothing buffered: let the poll pull host keys that are waiting.
                    waker.wake();
                }
                return IoResult.OK;
            }
            case COMMAND -> {
                data[0] = (byte) status();
                return IoResult.OK;
            }
            default -> {
                return IoResult.INVALID_REGISTER;
            }
        }
    }

    @Override
    public IoResult ioWrite(int region, int offset, byte[] data) {
        if (data.length != 1) {
            return IoResult.INVALID_ACCESS_SIZE;
        }
        int value = data[0] & 0xFF;
        boolean tookInput = keyboardTakesHostInput();
        switch (region) {
            case DATA -> writeData(value);
            case COMMAND -> writeCommand(value);
            default -> {
                return IoResult.INVALID_REGISTER;
            }
        }
        refill();
        updateLines();
        if (!tookInput && keyboardTakesHostInput()) {
            // The keyboard was (re-)enabled: pull keys typed while it was off.
            waker.wake();
        }
        return IoResult.OK;
    }

    int status() {
        int s = STATUS_SYSTEM_FLAG | STATUS_KEYBOARD_UNLOCKED;
        if (outputSource != SOURCE_NONE) {
            s |= STATUS_OUTPUT_FULL;
        }
        if (outputSource == SOURCE_MOUSE) {
            s |= STATUS_AUX_OUTPUT_FULL;
        }
        if (lastWriteWasCommand) {
            s |= STATUS_LAST_WRITE_COMMAND;
        }
        return s;
    }

    private void writeData(int value) {
        lastWriteWasCommand = false;
        int target = dataTarget;
        dataTarget = TARGET_KEYBOARD;
        switch (target) {
            case TARGET_KEYBOARD -> {
                // Talking to the keyboard enables its interface, as on real controllers.
                ram[0] &= (byte) ~CB_KEYBOARD_DISABLED;
                keyboard.write(value);
            }
            case TARGET_MOUSE -> {
                ram[0] &= (byte) ~CB_AUX_DISABLED;
                mouse.write(value);
            }
            default -> commandData(target, value);
        }
    }

    private void writeCommand(int command) {
        lastWriteWasCommand = true;
        dataTarget = TARGET_KEYBOARD;
        if (command == 0x20) {
            output(ram[0] & 0xFF, SOURCE_CONTROLLER);
        } else if (command >= 0x21 && command <= 0x3F) {
            // RAM reads are delivered as keyboard data (they raise IRQ1).
            output(ram[command & 0x1F] & 0xFF, SOURCE_KEYBOARD);
        } else if (command >= 0x60 && command <= 0x7F) {
            dataTarget = command;
        } else if (command >= 0xF0) {
            // Pulse output lines low for 6 us: bit n clear pulses line n; line 0 is CPU reset.
            if ((command & OP_RESET_DEASSERTED) == 0) {
                board.requestPower(PowerAction.RESET, String.format("pulsed the reset line (command 0x%02x)", command));
            }
        } else {
            switch (command) {
                case 0xA1 -> output(0x00, SOURCE_CONTROLLER); // controller version (AMI BIOS quirk)
                case 0xA4 -> output(0xF1, SOURCE_CONTROLLER); // no password installed
                case 0xA7 -> ram[0] |= CB_AUX_DISABLED;
                case 0xA8 -> ram[0] &= (byte) ~CB_AUX_DISABLED;
                case 0xA9 -> output(0x00, SOURCE_CONTROLLER); // aux interface test passed
                case 0xAA -> output(0x55, SOURCE_CONTROLLER); // controller self test passed
                case 0xAB -> output(0x00, SOURCE_CONTROLLER); // keyboard interface test passed
                case 0xAD -> ram[0] |= CB_KEYBOARD_DISABLED;
                case 0xAE -> ram[0] &= (byte) ~CB_KEYBOARD_DISABLED;
                case 0xC0 -> output(0x80, SOURCE_CONTROLLER); // input port: keyboard not locked
                case 0xC1, 0xC2 -> { } // poll input port into status: ignored
                case 0xD0 -> output(outputPort(), SOURCE_CONTROLLER);
                case 0xD1, 0xD2, 0xD3 -> dataTarget = command;
                case 0xD4 -> dataTarget = TARGET_MOUSE;
                default -> {
                    if (warnings.tryAcquire() != LogRateLimiter.SUPPRESSED) {
                        LOG.log(System.Logger.Level.WARNING, "i8042: unsupported controller command 0x" + Integer.toHexString(command));
                    }
                }
            }
        }
    }

    private void commandData(int command, int value) {
        if (command >= 0x60 && command <= 0x7F) {
            int old = ram[0];
            ram[command & 0x1F] = (byte) value;
            if (command == 0x60 && (value & CB_TRANSLATE) == 0 && (old & CB_TRANSLATE) != 0
                    && warnings.tryAcquire() != LogRateLimiter.SUPPRESSED) {
                LOG.log(System.Logger.Level.WARNING, "i8042: guest turned scan-code translation off; keys are still sent as set 1");
            }
            return;
        }
        switch (command) {
            case 0xD1 -> {
                boolean newA20 = (value & OP_A20) != 0;
                if (newA20 != a20 && warnings.tryAcquire() != LogRateLimiter.SUPPRESSED) {
                    LOG.log(System.Logger.Level.WARNING, "i8042: guest set A20 " + (newA20 ? "on" : "off")
                            + "; A20 masking is not supported, memory is not wrapped");
                }
                a20 = newA20;
                if ((value & OP_RESET_DEASSERTED) == 0) {
                    board.requestPower(PowerAction.RESET, String.format(
                            "drove the reset line low (output port 0x%02x written with command 0xd1)", value));
                }
            }
            case 0xD2 -> output(value, SOURCE_KEYBOARD);
            case 0xD3 -> output(value, SOURCE_MOUSE);
            default -> {
                // Unreachable: only the commands above set a controller data target.
                if (warnings.tryAcquire() != LogRateLimiter.SUPPRESSED) {
                    LOG.log(System.Logger.Level.WARNING, "i8042: data byte 0x" + Integer.toHexString(value)
                            + " for command 0x" + Integer.toHexString(command) + " ignored");
                }
            }
        }
    }

    private int outputPort() {
        int v = OP_RESET_DEASSERTED
                | 0x04 // aux clock high
                | 0x40; // keyboard clock high; both data lines (b3, b7) low
        if (a20) {
            v |= OP_A20;
        }
        if (outputSource == SOURCE_KEYBOARD) {
            v |= 0x10;
        }
        if (outputSource == SOURCE_MOUSE) {
            v |= 0x20;
        }
        return v;
    }

    /** Puts a byte in the output buffer, replacing whatever was there. */
    private void output(int value, int source) {
        outputBuffer = value;
        outputSource = source;
    }

    /** Fills an empty output buffer: the mouse first, then the keyboard, each unless disabled. */
    private void refill() {
        if (outputSource != SOURCE_NONE) {
            return;
        }
        int cb = ram[0];
        if ((cb & CB_AUX_DISABLED) == 0 && mouse.hasOutput()) {
            output(mouse.take(), SOURCE_MOUSE);
        } else if ((cb & CB_KEYBOARD_DISABLED) == 0 && keyboard.hasOutput()) {
            output(keyboard.take(), SOURCE_KEYBOARD);
        }
    }

    private void updateLines() {
        int cb = ram[0];
        setLevel(keyboardIrq, (cb & CB_KEYBOARD_IRQ) != 0 && outputSource == SOURCE_KEYBOARD);
        setLevel(auxIrq, (cb & CB_AUX_IRQ) != 0 && outputSource == SOURCE_MOUSE);
    }

    private static void setLevel(LineInterrupt line, boolean high) {
        if (line.level() != high) {
            line.setLevel(high);
        }
    }

    /** Whether host keys should move into the keyboard now: it scans, has room, and its interface is on. */
    private boolean keyboardTakesHostInput() {
        return (ram[0] & CB_KEYBOARD_DISABLED) == 0 && keyboard.wantsHostInput();
    }

    // ---- poll ----

    /** The poll: moves waiting host keys into the keyboard. */
    void pullHostInput() {
        // Keys stay in the input source while the keyboard does not take them, so none are lost.
        while (keyboardTakesHostInput()) {
            KeyEvent event = input.poll();
            if (event == null) {
                break;
            }
            keyboard.hostKey(event);
        }
        refill();
        updateLines();
    }

    // ---- lifecycle and saved state ----

    /** Back to {@link I8042SavedState#initial()}; both lines drop. */
    @Override
    public void reset() {
        apply(I8042SavedState.initial());
    }

    @Override
    public SavedStateBlob save() {
        return I8042SavedState.FORMAT.save(capture());
    }

    /** Decodes and checks all of {@code blob} first: a bad blob throws and changes nothing. */
    @Override
    public void restore(SavedStateBlob blob) {
        apply(I8042SavedState.FORMAT.restore(blob));
    }

    I8042SavedState capture() {
        return new I8042SavedState(ram.clone(), outputBuffer, outputSource, lastWriteWasCommand, dataTarget, a20,
                keyboard.save(), mouse.save());
    }

    /**
     * Makes {@code s} the state of the controller, keyboard and mouse, and drives IRQ 1 and IRQ 12
     * to the levels it implies; wakes the poller, which pulls host keys if the keyboard takes them.
     */
    private void apply(I8042SavedState s) {
        System.arraycopy(s.ram(), 0, ram, 0, ram.length);
        outputBuffer = s.outputBuffer();
        outputSource = s.outputSource();
        lastWriteWasCommand = s.lastWriteWasCommand();
        dataTarget = s.dataTarget();
        a20 = s.a20();
        keyboard.restore(s.keyboard());
        mouse.restore(s.mouseQueue());
        updateLines();
        waker.wake();
    }

    // ---- for tests ----

    Ps2Keyboard keyboard() {
        return keyboard;
    }

    int commandByte() {
        return ram[0] & 0xFF;
    }

    boolean a20() {
        return a20;
    }
}
