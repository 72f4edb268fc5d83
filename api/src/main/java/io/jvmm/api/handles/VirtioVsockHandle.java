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
 * A virtio socket device (virtio 1.2 §5.10) on PCI bus 0 whose host side is Unix domain sockets
 * (the "hybrid" mapping Firecracker documents): a guest {@code connect(2, P)} reaches a host
 * listener at {@code udsPath + "_" + P}, and a host client that connects to {@code udsPath} and
 * writes {@code CONNECT <port>\n} reaches a guest listener on that port (answered {@code OK <host
 * port>\n}).
 *
 * @param pciDevice the slot on bus 0, 1..31 (0 is the host bridge), function 0
 * @param guestCid the guest's context ID, {@link #MIN_GUEST_CID}..{@link #MAX_GUEST_CID} (0, 1 and
 *     2 are reserved for the hypervisor, local and host; 0xFFFFFFFF is VMADDR_CID_ANY)
 * @param udsPath where the device listens for host clients; guest connections go to
 *     {@code udsPath_PORT}
 */
public record VirtioVsockHandle(int pciDevice, long guestCid, String udsPath) implements ResourceHandle {
    public static final String ID = "virtio_vsock";
    public static final long MIN_GUEST_CID = 3;
    public static final long MAX_GUEST_CID = 0xFFFF_FFFEL;

    public VirtioVsockHandle {
        Objects.requireNonNull(udsPath, "udsPath");
        if (pciDevice < 1 || pciDevice >= PciPlatform.SLOTS) {
            throw new IllegalArgumentException("virtio_vsock: pci_device must be 1..31 (0 is the host bridge), was "
                    + pciDevice);
        }
        String bad = cidProblem(guestCid);
        if (bad != null) {
            throw new IllegalArgumentException("virtio_vsock: guest_cid " + bad);
        }
        if (udsPath.isBlank()) {
            throw new IllegalArgumentException("virtio_vsock: uds_path must not be blank");
        }
    }

    /** Why {@code cid} cannot be a guest's context ID, or null when it can. */
    public static String cidProblem(long cid) {
        if (cid < MIN_GUEST_CID || cid > MAX_GUEST_CID) {
            return cid + " is out of range: must be 3..4294967294 (0, 1 and 2 are reserved for the hypervisor, "
                    + "local and host, 4294967295 means any)";
        }
        return null;
    }

    public Resource<ChipsetDevice> toResource() {
        return Resource.of(ResourceKinds.CHIPSET_DEVICE, ID, this);
    }

    public static VirtioVsockHandle parse(ConfigReader config) {
        int slot = config.u8("pci_device");
        if (slot < 1 || slot >= PciPlatform.SLOTS) {
            throw config.error("pci_device", "must be 1..31 (0 is the host bridge), was " + slot);
        }
        long cid = config.u32("guest_cid");
        String bad = cidProblem(cid);
        if (bad != null) {
            throw config.error("guest_cid", bad);
        }
        String path = config.string("uds_path");
        if (path.isBlank()) {
            throw config.error("uds_path", "must name a Unix socket path");
        }
        return new VirtioVsockHandle(slot, cid, path);
    }

    @Override
    public void writeConfig(ConfigWriter out) {
        out.number("pci_device", pciDevice).number("guest_cid", guestCid).string("uds_path", udsPath);
    }
}
