package io.jvmm.api.handles;

import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.PciPlatform;
import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.ConfigWriter;
import io.jvmm.api.resource.Resource;
import io.jvmm.api.resource.ResourceHandle;
import io.jvmm.api.resource.ResourceKinds;

/**
 * A virtio entropy device (virtio 1.2 §5.4) on PCI bus 0, fed by the host's {@code SecureRandom}.
 *
 * @param pciDevice the slot on bus 0, 1..31 (0 is the host bridge), function 0
 */
public record VirtioRngHandle(int pciDevice) implements ResourceHandle {
    public static final String ID = "virtio_rng";

    public VirtioRngHandle {
        if (pciDevice < 1 || pciDevice >= PciPlatform.SLOTS) {
            throw new IllegalArgumentException("virtio_rng: pci_device must be 1..31 (0 is the host bridge), was "
                    + pciDevice);
        }
    }

    public Resource<ChipsetDevice> toResource() {
        return Resource.of(ResourceKinds.CHIPSET_DEVICE, ID, this);
    }

    public static VirtioRngHandle parse(ConfigReader config) {
        int slot = config.u8("pci_device");
        if (slot < 1 || slot >= PciPlatform.SLOTS) {
            throw config.error("pci_device", "must be 1..31 (0 is the host bridge), was " + slot);
        }
        return new VirtioRngHandle(slot);
    }

    @Override
    public void writeConfig(ConfigWriter out) {
        out.number("pci_device", pciDevice);
    }
}
