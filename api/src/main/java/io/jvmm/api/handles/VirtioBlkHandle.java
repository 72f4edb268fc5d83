package io.jvmm.api.handles;

import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.PciPlatform;
import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.ConfigWriter;
import io.jvmm.api.resource.Resource;
import io.jvmm.api.resource.ResourceHandle;
import io.jvmm.api.resource.ResourceKinds;
import java.util.Objects;

/**
 * A virtio block device (virtio 1.2 §5.2) on PCI bus 0, backed by a raw image file whose size is a
 * multiple of 512 bytes.
 *
 * @param path the raw image; opened read-write with an exclusive lock, or read-only with a shared one
 * @param readOnly offer VIRTIO_BLK_F_RO and refuse every write
 * @param pciDevice the slot on bus 0, 1..31 (0 is the host bridge), function 0
 * @param serial what VIRTIO_BLK_T_GET_ID answers (Linux's {@code /sys/block/vdX/serial}): 0..20
 *     printable ASCII characters
 */
public record VirtioBlkHandle(String path, boolean readOnly, int pciDevice, String serial) implements ResourceHandle {
    public static final String ID = "virtio_blk";
    /** §5.2.6: the device ID string is at most 20 bytes. */
    public static final int SERIAL_MAX = 20;

    public VirtioBlkHandle {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(serial, "serial");
        if (path.isBlank()) {
            throw new IllegalArgumentException("virtio_blk: path must not be blank");
        }
        if (pciDevice < 1 || pciDevice >= PciPlatform.SLOTS) {
            throw new IllegalArgumentException("virtio_blk: pci_device must be 1..31 (0 is the host bridge), was "
                    + pciDevice);
        }
        String bad = serialProblem(serial);
        if (bad != null) {
            throw new IllegalArgumentException("virtio_blk: serial " + bad);
        }
    }

    /** Why {@code serial} is not a valid device ID, or null when it is. */
    public static String serialProblem(String serial) {
        if (serial.length() > SERIAL_MAX) {
            return "'" + serial + "' is longer than " + SERIAL_MAX + " characters";
        }
        for (int i = 0; i < serial.length(); i++) {
            char c = serial.charAt(i);
            if (c < 0x20 || c > 0x7E) {
                return "'" + serial + "' may hold printable ASCII only";
            }
        }
        return null;
    }

    public Resource<ChipsetDevice> toResource() {
        return Resource.of(ResourceKinds.CHIPSET_DEVICE, ID, this);
    }

    public static VirtioBlkHandle parse(ConfigReader config) {
        String path = config.string("path");
        if (path.isBlank()) {
            throw config.error("path", "must name a raw image file");
        }
        int slot = config.u8("pci_device");
        if (slot < 1 || slot >= PciPlatform.SLOTS) {
            throw config.error("pci_device", "must be 1..31 (0 is the host bridge), was " + slot);
        }
        String serial = config.has("serial") ? config.string("serial") : "";
        String bad = serialProblem(serial);
        if (bad != null) {
            throw config.error("serial", bad);
        }
        return new VirtioBlkHandle(path, config.bool("read_only", false), slot, serial);
    }

    @Override
    public void writeConfig(ConfigWriter out) {
        out.string("path", path).bool("read_only", readOnly).number("pci_device", pciDevice).string("serial", serial);
    }
}
