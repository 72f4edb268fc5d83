package io.jvmm.dev.missing;

import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.ChipsetDeviceResolver;
import io.jvmm.api.device.IoRegion;
import io.jvmm.api.handles.MissingDevHandle;
import io.jvmm.api.resource.ResolveContext;
import java.util.List;

/** Resolves {@code chipset_device:missing_dev}. */
public final class MissingDevResolver extends ChipsetDeviceResolver<MissingDevHandle> {
    public MissingDevResolver() {
        super(MissingDevHandle.ID, MissingDevHandle.class, MissingDevHandle::parse);
    }

    @Override
    public ChipsetDevice resolve(MissingDevHandle handle, ResolveContext context) {
        return new MissingDevice(regions(handle.pio()), regions(handle.mmio()));
    }

    private static List<IoRegion> regions(List<MissingDevHandle.Claim> claims) {
        return claims.stream().map(c -> IoRegion.ofRange(c.name(), c.start(), c.end())).toList();
    }
}
