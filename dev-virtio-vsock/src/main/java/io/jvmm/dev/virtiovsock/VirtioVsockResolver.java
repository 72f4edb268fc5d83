package io.jvmm.dev.virtiovsock;

import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.ChipsetDeviceResolver;
import io.jvmm.api.device.PciAddress;
import io.jvmm.api.handles.VirtioVsockHandle;
import io.jvmm.api.resource.ResolveContext;
import io.jvmm.api.resource.ResolveException;
import io.jvmm.virtio.VirtioPciDevice;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Resolves {@code chipset_device:virtio_vsock}: a socket device at 00:NN.0 that listens on the
 * handle's {@code uds_path} here (so a path in use fails the VM's start with a message naming it)
 * and starts its selector thread; the device's close stops the thread and removes the socket file.
 */
public final class VirtioVsockResolver extends ChipsetDeviceResolver<VirtioVsockHandle> {
    public VirtioVsockResolver() {
        super(VirtioVsockHandle.ID, VirtioVsockHandle.class, VirtioVsockHandle::parse);
    }

    @Override
    public ChipsetDevice resolve(VirtioVsockHandle handle, ResolveContext context) throws ResolveException {
        HostSide host;
        try {
            host = HostSide.listen(Path.of(handle.udsPath()), context.board().waker());
        } catch (IOException | RuntimeException e) {
            throw new ResolveException("virtio_vsock: " + e.getMessage(), e);
        }
        VirtioVsock vsock = new VirtioVsock(context.deviceName(), handle.guestCid(), handle.udsPath(),
                context.board().guestMemory(), context.board().waker(), host);
        VirtioPciDevice device;
        try {
            device = new VirtioPciDevice(context.deviceName(), new PciAddress(0, handle.pciDevice(), 0), vsock,
                    context.board());
        } catch (RuntimeException e) {
            try {
                host.stop();
            } catch (IOException ignored) {
                // the resolve error is what matters
            }
            throw e;
        }
        host.start(context.deviceName());
        return device;
    }
}
