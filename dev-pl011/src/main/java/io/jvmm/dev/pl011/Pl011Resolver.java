package io.jvmm.dev.pl011;

import io.jvmm.api.device.BoardServices;
import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.ChipsetDeviceResolver;
import io.jvmm.api.device.DeviceWaker;
import io.jvmm.api.device.LineInterrupt;
import io.jvmm.api.device.LineSets;
import io.jvmm.api.handles.Pl011Handle;
import io.jvmm.api.resource.ResolveContext;
import io.jvmm.api.resource.ResolveException;
import io.jvmm.api.serial.SerialBackend;

/** Resolves {@code chipset_device:serial_pl011}. */
public final class Pl011Resolver extends ChipsetDeviceResolver<Pl011Handle> {
    /** The region every PL011 declares: its 4 KiB register page. */
    public static final String REGION = Pl011Uart.REGION;

    /** The ServiceLoader provider constructor. */
    public Pl011Resolver() {
        super(Pl011Handle.ID, Pl011Handle.class, Pl011Handle::parse);
    }

    @Override
    public ChipsetDevice resolve(Pl011Handle handle, ResolveContext context) throws ResolveException {
        String device = "device '" + context.deviceName() + "'";
        long base = handle.base();
        long size = Pl011Registers.WINDOW_SIZE;
        if ((base & (size - 1)) != 0) {
            throw new ResolveException(device + ": PL011 base 0x" + Long.toHexString(base)
                    + " is not 4 KiB aligned; use a multiple of 0x1000 (e.g. 0x"
                    + Long.toHexString(base & -size) + ")");
        }
        // An aligned base always leaves room for the page: the last one ends at 2^64 - 1.
        if (handle.irq() < 0) {
            throw new ResolveException(device + ": irq must not be negative, was " + handle.irq());
        }
        SerialBackend backend = context.resolve(handle.io());
        try {
            BoardServices board = context.board();
            LineInterrupt line = board.newLine(LineSets.IRQ, "interrupt", handle.irq());
            DeviceWaker waker = board.waker();
            Pl011Uart uart = new Pl011Uart(context.deviceName(), base, backend, line, waker);
            backend.setListener(waker::wake);
            return uart;
        } catch (RuntimeException e) {
            backend.close();
            throw e;
        }
    }
}
