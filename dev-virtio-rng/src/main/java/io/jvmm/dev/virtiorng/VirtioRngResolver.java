package io.jvmm.dev.virtiorng;

import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.ChipsetDeviceResolver;
import io.jvmm.api.device.PciAddress;
import io.jvmm.api.handles.VirtioRngHandle;
import io.jvmm.api.resource.ResolveContext;
import io.jvmm.virtio.VirtioPciDevice;
import java.security.SecureRandom;

/** Resolves {@code chipset_device:virtio_rng}: an entropy device at 00:NN.0. */
public final class VirtioRngResolver extends ChipsetDeviceResolver<VirtioRngHandle> {
    public VirtioRngResolver() {
        super(VirtioRngHandle.ID, VirtioRngHandle.class, VirtioRngHandle::parse);
    }

    @Override
    public ChipsetDevice resolve(VirtioRngHandle handle, ResolveContext context) {
        return new VirtioPciDevice(context.deviceName(), new PciAddress(0, handle.pciDevice(), 0),
                new VirtioRng(new SecureRandom(), context.board().guestMemory()), context.board());
    }
}
