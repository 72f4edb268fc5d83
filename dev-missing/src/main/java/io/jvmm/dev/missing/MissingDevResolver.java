package io.jvmm.dev.missing;

import io.jvmm.api.device.BoardServices;
import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.handles.MissingDevHandle;
import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.ResolveContext;
import io.jvmm.api.resource.ResourceKind;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.api.resource.ResourceResolver;

/** Resolves {@code chipset_device:missing_dev}. */
public final class MissingDevResolver implements ResourceResolver<MissingDevHandle, ChipsetDevice> {
    @Override
    public ResourceKind<ChipsetDevice> kind() {
        return ResourceKinds.CHIPSET_DEVICE;
    }

    @Override
    public String id() {
        return MissingDevHandle.ID;
    }

    @Override
    public Class<MissingDevHandle> handleType() {
        return MissingDevHandle.class;
    }

    @Override
    public MissingDevHandle parseHandle(ConfigReader config) {
        return MissingDevHandle.parse(config);
    }

    @Override
    public ChipsetDevice resolve(MissingDevHandle handle, ResolveContext context) {
        BoardServices board = context.board();
        for (MissingDevHandle.Claim c : handle.pio()) {
            board.claimPio(c.name(), (int) c.start(), (int) c.end());
        }
        for (MissingDevHandle.Claim c : handle.mmio()) {
            board.claimMmio(c.name(), c.start(), c.end());
        }
        return new MissingDevice(!handle.pio().isEmpty(), !handle.mmio().isEmpty());
    }
}
