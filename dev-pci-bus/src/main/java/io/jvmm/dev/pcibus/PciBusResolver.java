package io.jvmm.dev.pcibus;

import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.ChipsetDeviceResolver;
import io.jvmm.api.handles.EmptyHandle;
import io.jvmm.api.resource.ResolveContext;

/** Resolves {@code chipset_device:generic_pci_bus}: bus 0 behind ports 0xCF8/0xCFC. */
public final class PciBusResolver extends ChipsetDeviceResolver<EmptyHandle> {
    static final String ID = "generic_pci_bus";

    public PciBusResolver() {
        super(ID, EmptyHandle.class, EmptyHandle::parse);
    }

    @Override
    public ChipsetDevice resolve(EmptyHandle handle, ResolveContext context) {
        PciBusDevice bus = new PciBusDevice(context.deviceName());
        bus.attach("host-bridge", bus.hostBridge());
        return bus;
    }
}
