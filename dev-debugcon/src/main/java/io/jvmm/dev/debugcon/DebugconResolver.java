package io.jvmm.dev.debugcon;

import io.jvmm.api.device.BoardServices;
import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.ChipsetDeviceResolver;
import io.jvmm.api.device.DeviceWaker;
import io.jvmm.api.handles.DebugconHandle;
import io.jvmm.api.resource.ResolveContext;
import io.jvmm.api.resource.ResolveException;
import io.jvmm.api.serial.SerialBackend;

/** Resolves {@code chipset_device:debugcon}. */
public final class DebugconResolver extends ChipsetDeviceResolver<DebugconHandle> {
    /** The one-port region it declares. */
    public static final String REGION = DebugconDevice.REGION;

    /** The ServiceLoader provider constructor. */
    public DebugconResolver() {
        super(DebugconHandle.ID, DebugconHandle.class, DebugconHandle::parse);
    }

    @Override
    public ChipsetDevice resolve(DebugconHandle handle, ResolveContext context) throws ResolveException {
        SerialBackend backend = context.resolve(handle.io());
        try {
            BoardServices board = context.board();
            DeviceWaker waker = board.waker();
            DebugconDevice device = new DebugconDevice(context.deviceName(), handle.port(), backend, waker);
            backend.setListener(waker::wake);
            return device;
        } catch (RuntimeException e) {
            backend.close();
            throw e;
        }
    }
}
