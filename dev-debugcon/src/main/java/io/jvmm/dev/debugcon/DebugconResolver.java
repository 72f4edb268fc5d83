package io.jvmm.dev.debugcon;

import io.jvmm.api.device.BoardServices;
import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.DeviceWaker;
import io.jvmm.api.handles.DebugconHandle;
import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.ResolveContext;
import io.jvmm.api.resource.ResolveException;
import io.jvmm.api.resource.ResourceKind;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.api.resource.ResourceResolver;
import io.jvmm.api.serial.SerialBackend;

/** Resolves {@code chipset_device:debugcon}. */
public final class DebugconResolver implements ResourceResolver<DebugconHandle, ChipsetDevice> {
    /** The one-port region it claims. */
    public static final String REGION = "debugcon";

    /** The ServiceLoader provider constructor. */
    public DebugconResolver() {}

    @Override
    public ResourceKind<ChipsetDevice> kind() {
        return ResourceKinds.CHIPSET_DEVICE;
    }

    @Override
    public String id() {
        return DebugconHandle.ID;
    }

    @Override
    public Class<DebugconHandle> handleType() {
        return DebugconHandle.class;
    }

    @Override
    public DebugconHandle parseHandle(ConfigReader config) {
        return DebugconHandle.parse(config);
    }

    @Override
    public ChipsetDevice resolve(DebugconHandle handle, ResolveContext context) throws ResolveException {
        SerialBackend backend = context.resolve(handle.io());
        try {
            BoardServices board = context.board();
            board.claimPio(REGION, handle.port(), handle.port());
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
