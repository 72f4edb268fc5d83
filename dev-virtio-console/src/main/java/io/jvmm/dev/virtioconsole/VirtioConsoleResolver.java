package io.jvmm.dev.virtioconsole;

import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.ChipsetDeviceResolver;
import io.jvmm.api.device.PciAddress;
import io.jvmm.api.handles.VirtioConsoleHandle;
import io.jvmm.api.resource.ResolveContext;
import io.jvmm.api.resource.ResolveException;
import io.jvmm.api.serial.SerialBackend;
import io.jvmm.virtio.VirtioPciDevice;

/** Resolves {@code chipset_device:virtio_console}: a console device at 00:NN.0 on a serial backend. */
public final class VirtioConsoleResolver extends ChipsetDeviceResolver<VirtioConsoleHandle> {
    public VirtioConsoleResolver() {
        super(VirtioConsoleHandle.ID, VirtioConsoleHandle.class, VirtioConsoleHandle::parse);
    }

    @Override
    public ChipsetDevice resolve(VirtioConsoleHandle handle, ResolveContext context) throws ResolveException {
        SerialBackend backend = context.resolve(handle.io());
        try {
            VirtioConsole console = new VirtioConsole(backend, context.board().guestMemory());
            VirtioPciDevice device = new VirtioPciDevice(context.deviceName(), new PciAddress(0, handle.pciDevice(), 0),
                    console, context.board());
            // input arrived, output space freed, a client came or went: the console's hasWork says which queue
            backend.setListener(console.listener(context.board().waker()));
            return device;
        } catch (RuntimeException e) {
            backend.close();
            throw e;
        }
    }
}
