package io.jvmm.dev.virtionet;

import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.ChipsetDeviceResolver;
import io.jvmm.api.device.PciAddress;
import io.jvmm.api.handles.VirtioNetHandle;
import io.jvmm.api.net.NetBackend;
import io.jvmm.api.resource.ResolveContext;
import io.jvmm.api.resource.ResolveException;
import io.jvmm.virtio.VirtioPciDevice;

/** Resolves {@code chipset_device:virtio_net}: a network card at 00:NN.0 on a network backend. */
public final class VirtioNetResolver extends ChipsetDeviceResolver<VirtioNetHandle> {
    public VirtioNetResolver() {
        super(VirtioNetHandle.ID, VirtioNetHandle.class, VirtioNetHandle::parse);
    }

    @Override
    public ChipsetDevice resolve(VirtioNetHandle handle, ResolveContext context) throws ResolveException {
        NetBackend backend = context.resolve(handle.backend());
        try {
            VirtioNet net = new VirtioNet(context.deviceName(), backend, handle.macBytes(),
                    context.board().guestMemory());
            VirtioPciDevice device = new VirtioPciDevice(context.deviceName(),
                    new PciAddress(0, handle.pciDevice(), 0), net, context.board());
            backend.setListener(net.listener(context.board().waker()));
            return device;
        } catch (RuntimeException e) {
            backend.close();
            throw e;
        }
    }
}
