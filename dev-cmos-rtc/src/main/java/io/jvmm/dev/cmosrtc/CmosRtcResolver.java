package io.jvmm.dev.cmosrtc;

import io.jvmm.api.device.BoardServices;
import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.LineSets;
import io.jvmm.api.handles.CmosRtcHandle;
import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.ResolveContext;
import io.jvmm.api.resource.ResourceKind;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.api.resource.ResourceResolver;

/** Resolves {@code chipset_device:generic_cmos_rtc}: ports 0x70/0x71, IRQ 8. */
public final class CmosRtcResolver implements ResourceResolver<CmosRtcHandle, ChipsetDevice> {
    static final int INDEX_PORT = 0x70;
    static final int DATA_PORT = 0x71;
    static final int IRQ = 8;

    @Override
    public ResourceKind<ChipsetDevice> kind() {
        return ResourceKinds.CHIPSET_DEVICE;
    }

    @Override
    public String id() {
        return CmosRtcHandle.ID;
    }

    @Override
    public Class<CmosRtcHandle> handleType() {
        return CmosRtcHandle.class;
    }

    @Override
    public CmosRtcHandle parseHandle(ConfigReader config) {
        return CmosRtcHandle.parse(config);
    }

    @Override
    public ChipsetDevice resolve(CmosRtcHandle handle, ResolveContext context) {
        BoardServices board = context.board();
        board.claimPio("rtc", INDEX_PORT, DATA_PORT);
        return new CmosRtcDevice(context.deviceName(), handle.memoryBytes(),
                handle.utcOffset().getTotalSeconds() * 1_000_000_000L,
                board.newLine(LineSets.IRQ, "rtc", IRQ), board.clock(), board.waker());
    }
}
