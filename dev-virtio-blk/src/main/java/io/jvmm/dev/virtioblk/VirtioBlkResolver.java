package io.jvmm.dev.virtioblk;

import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.ChipsetDeviceResolver;
import io.jvmm.api.device.PciAddress;
import io.jvmm.api.handles.VirtioBlkHandle;
import io.jvmm.api.resource.ResolveContext;
import io.jvmm.api.resource.ResolveException;
import io.jvmm.virtio.VirtioPciDevice;
import java.nio.file.Path;

/**
 * Resolves {@code chipset_device:virtio_blk}: a block device at 00:NN.0 on a raw image, which it
 * opens (and locks) here, so a missing, unreadable, odd-sized or busy image fails the VM's start
 * with a message naming it. The image stays open until the process ends.
 */
public final class VirtioBlkResolver extends ChipsetDeviceResolver<VirtioBlkHandle> {
    public VirtioBlkResolver() {
        super(VirtioBlkHandle.ID, VirtioBlkHandle.class, VirtioBlkHandle::parse);
    }

    @Override
    public ChipsetDevice resolve(VirtioBlkHandle handle, ResolveContext context) throws ResolveException {
        BlockImage image;
        try {
            image = BlockImage.open(Path.of(handle.path()), handle.readOnly());
        } catch (BlockImage.ImageException e) {
            throw new ResolveException(e.getMessage(), e);
        }
        return new VirtioPciDevice(context.deviceName(), new PciAddress(0, handle.pciDevice(), 0),
                new VirtioBlk(context.deviceName(), image, handle.serial(), context.board().guestMemory()),
                context.board());
    }
}
