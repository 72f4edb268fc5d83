package io.jvmm.dev.i8042;

import io.jvmm.api.device.BoardServices;
import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.DeviceWaker;
import io.jvmm.api.device.LineInterrupt;
import io.jvmm.api.device.LineSets;
import io.jvmm.api.handles.I8042Handle;
import io.jvmm.api.input.KeyboardInput;
import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.ResolveContext;
import io.jvmm.api.resource.ResolveException;
import io.jvmm.api.resource.ResourceKind;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.api.resource.ResourceResolver;
import io.jvmm.api.support.LogRateLimiter;

/**
 * Resolves {@code chipset_device:i8042}: claims ports 0x60 ("data") and 0x64 ("command"), IRQ1
 * ("keyboard") and IRQ12 ("aux"), resolves the keyboard input with the device's name and turns it
 * on (the PS/2 keyboard always wants input; a higher-elevation consumer may still take over).
 */
public final class I8042Resolver implements ResourceResolver<I8042Handle, ChipsetDevice> {
    /** At most this many warnings per window, so a guest hammering a bad command cannot flood the log. */
    private static final int WARNING_BURST = 10;
    private static final long WARNING_WINDOW_NANOS = 5_000_000_000L;

    @Override
    public ResourceKind<ChipsetDevice> kind() {
        return ResourceKinds.CHIPSET_DEVICE;
    }

    @Override
    public String id() {
        return I8042Handle.ID;
    }

    @Override
    public Class<I8042Handle> handleType() {
        return I8042Handle.class;
    }

    @Override
    public I8042Handle parseHandle(ConfigReader config) {
        return I8042Handle.parse(config);
    }

    @Override
    public ChipsetDevice resolve(I8042Handle handle, ResolveContext context) throws ResolveException {
        KeyboardInput input = context.resolve(handle.keyboardInput());
        BoardServices board = context.board();
        board.claimPio("data", I8042Device.DATA_PORT, I8042Device.DATA_PORT);
        board.claimPio("command", I8042Device.COMMAND_PORT, I8042Device.COMMAND_PORT);
        LineInterrupt keyboardIrq = board.newLine(LineSets.IRQ, "keyboard", 1);
        LineInterrupt auxIrq = board.newLine(LineSets.IRQ, "aux", 12);
        I8042Device device = new I8042Device(board, input, keyboardIrq, auxIrq,
                new LogRateLimiter(WARNING_BURST, WARNING_WINDOW_NANOS, System::nanoTime));
        DeviceWaker waker = board.waker();
        input.setListener(waker::wake);
        input.setActive(true);
        return device;
    }
}
