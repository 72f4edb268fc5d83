package io.jvmm.api.handles;

import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.PciPlatform;
import io.jvmm.api.net.NetBackend;
import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.ConfigWriter;
import io.jvmm.api.resource.Resource;
import io.jvmm.api.resource.ResourceHandle;
import io.jvmm.api.resource.ResourceKinds;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A virtio network card (virtio 1.2 §5.1) on PCI bus 0 with one receive and one transmit queue,
 * its frames going to and coming from a network backend (e.g. {@link TapHandle}).
 *
 * @param pciDevice the slot on bus 0, 1..31 (0 is the host bridge), function 0
 * @param mac the card's Ethernet address as {@code xx:xx:xx:xx:xx:xx}: a unicast address (the low
 *     bit of the first byte clear)
 * @param backend the network backend
 */
public record VirtioNetHandle(int pciDevice, String mac, Resource<NetBackend> backend) implements ResourceHandle {
    public static final String ID = "virtio_net";

    public VirtioNetHandle {
        Objects.requireNonNull(mac, "mac");
        Objects.requireNonNull(backend, "backend");
        if (pciDevice < 1 || pciDevice >= PciPlatform.SLOTS) {
            throw new IllegalArgumentException("virtio_net: pci_device must be 1..31 (0 is the host bridge), was "
                    + pciDevice);
        }
        String bad = macProblem(mac);
        if (bad != null) {
            throw new IllegalArgumentException("virtio_net: mac " + bad);
        }
        mac = mac.toLowerCase(java.util.Locale.ROOT);
    }

    /** Why {@code mac} is not a unicast Ethernet address in {@code xx:xx:xx:xx:xx:xx} form, or null. */
    public static String macProblem(String mac) {
        if (!mac.matches("[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}")) {
            return "'" + mac + "' is not six hex bytes separated by ':' (e.g. 52:54:00:12:34:56)";
        }
        if ((Integer.parseInt(mac.substring(0, 2), 16) & 1) != 0) {
            return "'" + mac + "' is a multicast address (the first byte is odd); a card needs a unicast one";
        }
        return null;
    }

    /** The six bytes of {@link #mac}. */
    public byte[] macBytes() {
        return HexFormat.ofDelimiter(":").parseHex(mac);
    }

    public Resource<ChipsetDevice> toResource() {
        return Resource.of(ResourceKinds.CHIPSET_DEVICE, ID, this);
    }

    public static VirtioNetHandle parse(ConfigReader config) {
        int slot = config.u8("pci_device");
        if (slot < 1 || slot >= PciPlatform.SLOTS) {
            throw config.error("pci_device", "must be 1..31 (0 is the host bridge), was " + slot);
        }
        String mac = config.string("mac");
        String bad = macProblem(mac);
        if (bad != null) {
            throw config.error("mac", bad);
        }
        return new VirtioNetHandle(slot, mac, config.resource("backend", ResourceKinds.NET_BACKEND));
    }

    @Override
    public void writeConfig(ConfigWriter out) {
        out.number("pci_device", pciDevice).string("mac", mac).resource("backend", backend);
    }
}
