package io.jvmm.dev.i8042;

import io.jvmm.api.device.BoardServices;
import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.ChipsetDeviceResolver;
import io.jvmm.api.device.DeviceWaker;
import io.jvmm.api.device.LineInterrupt;
import io.jvmm.api.device.LineSets;
import io.jvmm.api.handles.I8042Handle;
import io.jvmm.api.input.KeyboardInput;
import io.jvmm.api.resource.ResolveContext;
import io.jvmm.api.resource.ResolveException;
import io.jvmm.api.support.LogRateLimiter;

/**
 * Resolves {@code chipset_device:i8042}: a device with ports 0x60 ("data") and 0x64 ("command"), IRQ1
 * ("keyboard") and IRQ12 ("aux"), resolves the keyboard input with the device's name and turns it
 * on (the PS/2 keyboard always wants input; a higher-elevation consumer may still take over).
 */
public final class I8042Resolver extends ChipsetDeviceResolver<I8042Handle> {
    /** At most this many warnings per window, so a guest hammering a bad command cannot flood the log. */
    private static final int WARNING_BURST = 10;
    private static final long WARNING_WINDOW_NANOS = 5_000_000_000L;

    public I8042Resolver() {
        super(I8042Handle.ID, I8042Handle.class, I8042Handle::parse);
    }

    @Override
    public ChipsetDevice resolve(I8042Handle handle, ResolveContext context) throws ResolveException {
        KeyboardInput input = context.resolve(handle.keyboardInput());
        BoardServices board = context.board();
        LineInterrupt keyboardIrq = board.newLine(LineSets.IRQ, "keyboard", I8042Device.KEYBOARD_IRQ);
        LineInterrupt auxIrq = board.newLine(LineSets.IRQ, "aux", I8042Device.AUX_IRQ);
        I8042Device device = new I8042Device(board, input, keyboardIrq, auxIrq,
                new LogRateLimiter(WARNING_BURST, WARNING_WINDOW_NANOS, System::nanoTime));
        DeviceWaker waker = board.waker();
        input.setListener(waker::wake);
        input.setActive(true);
        return device;
    }
}
