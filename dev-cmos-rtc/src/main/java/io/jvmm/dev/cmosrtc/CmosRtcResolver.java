package io.jvmm.dev.cmosrtc;

import io.jvmm.api.device.BoardServices;
import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.ChipsetDeviceResolver;
import io.jvmm.api.device.LineSets;
import io.jvmm.api.handles.CmosRtcHandle;
import io.jvmm.api.resource.ResolveContext;

/** Resolves {@code chipset_device:generic_cmos_rtc}: ports 0x70/0x71, IRQ 8. */
public final class CmosRtcResolver extends ChipsetDeviceResolver<CmosRtcHandle> {
    static final int INDEX_PORT = 0x70;
    static final int DATA_PORT = 0x71;
    static final int IRQ = 8;

    public CmosRtcResolver() {
        super(CmosRtcHandle.ID, CmosRtcHandle.class, CmosRtcHandle::parse);
    }

    @Override
    public ChipsetDevice resolve(CmosRtcHandle handle, ResolveContext context) {
        BoardServices board = context.board();
        return new CmosRtcDevice(context.deviceName(), handle.memoryBytes(),
                handle.utcOffset().getTotalSeconds() * 1_000_000_000L,
                board.newLine(LineSets.IRQ, "rtc", IRQ), board.clock(), board.waker());
    }
}
