package io.jvmm.api.handles;

import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.PciPlatform;
import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.ConfigWriter;
import io.jvmm.api.resource.Resource;
import io.jvmm.api.resource.ResourceHandle;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.api.serial.SerialBackend;
import java.util.Objects;

/**
 * A virtio console (virtio 1.2 §5.3) on PCI bus 0: one port (Linux's {@code hvc0}) whose bytes go
 * to and come from a serial backend, the same backends a 16550 uses.
 *
 * @param pciDevice the slot on bus 0, 1..31 (0 is the host bridge), function 0
 * @param io the serial backend
 */
public record VirtioConsoleHandle(int pciDevice, Resource<SerialBackend> io) implements ResourceHandle {
    public static final String ID = "virtio_console";

    public VirtioConsoleHandle {
        Objects.requireNonNull(io, "io");
        if (pciDevice < 1 || pciDevice >= PciPlatform.SLOTS) {
            throw new IllegalArgumentException("virtio_console: pci_device must be 1..31 (0 is the host bridge), was "
                    + pciDevice);
        }
    }

    public Resource<ChipsetDevice> toResource() {
        return Resource.of(ResourceKinds.CHIPSET_DEVICE, ID, this);
    }

    public static VirtioConsoleHandle parse(ConfigReader config) {
        int slot = config.u8("pci_device");
        if (slot < 1 || slot >= PciPlatform.SLOTS) {
            throw config.error("pci_device", "must be 1..31 (0 is the host bridge), was " + slot);
        }
        return new VirtioConsoleHandle(slot, config.resource("io", ResourceKinds.SERIAL_BACKEND));
    }

    @Override
    public void writeConfig(ConfigWriter out) {
        out.number("pci_device", pciDevice).resource("io", io);
    }
}
