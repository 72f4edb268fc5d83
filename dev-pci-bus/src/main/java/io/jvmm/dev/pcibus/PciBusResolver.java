package io.jvmm.dev.pcibus;

import io.jvmm.api.device.BoardServices;
import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.handles.EmptyHandle;
import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.ResolveContext;
import io.jvmm.api.resource.ResourceKind;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.api.resource.ResourceResolver;

/** Resolves {@code chipset_device:generic_pci_bus}: bus 0 behind ports 0xCF8/0xCFC. */
public final class PciBusResolver implements ResourceResolver<EmptyHandle, ChipsetDevice> {
    static final String ID = "generic_pci_bus";

    @Override
    public ResourceKind<ChipsetDevice> kind() {
        return ResourceKinds.CHIPSET_DEVICE;
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public Class<EmptyHandle> handleType() {
        return EmptyHandle.class;
    }

    @Override
    public EmptyHandle parseHandle(ConfigReader config) {
        return EmptyHandle.parse(config);
    }

    @Override
    public ChipsetDevice resolve(EmptyHandle handle, ResolveContext context) {
        BoardServices board = context.board();
        board.claimPio("config_address", PciBusDevice.CONFIG_ADDRESS, PciBusDevice.CONFIG_ADDRESS + 3);
        board.claimPio("config_data", PciBusDevice.CONFIG_DATA, PciBusDevice.CONFIG_DATA + 3);
        PciBusDevice bus = new PciBusDevice(context.deviceName());
        bus.attach("host-bridge", bus.hostBridge());
        return bus;
    }
}
