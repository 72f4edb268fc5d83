package io.jvmm.dev.pm;

import io.jvmm.api.device.BoardServices;
import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.ChipsetDeviceResolver;
import io.jvmm.api.handles.ResetControlHandle;
import io.jvmm.api.resource.ResolveContext;

/** Resolves {@code chipset_device:reset_control}: the reset control register at port 0xCF9. */
public final class ResetControlResolver extends ChipsetDeviceResolver<ResetControlHandle> {
    public ResetControlResolver() {
        super(ResetControlHandle.ID, ResetControlHandle.class, ResetControlHandle::parse);
    }

    @Override
    public ChipsetDevice resolve(ResetControlHandle handle, ResolveContext context) {
        BoardServices board = context.board();
        return new ResetControlDevice(board::requestPower);
    }
}
