package io.jvmm.api.handles;

import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.ConfigWriter;
import io.jvmm.api.resource.Resource;
import io.jvmm.api.resource.ResourceHandle;
import io.jvmm.api.resource.ResourceKinds;

/**
 * The PC chipset's reset control register at port 0xCF9 (Intel ICH/PCH "RST_CNT"; PIIX3/PIIX4
 * "RC"), which Linux's {@code reboot=pci} writes. No configuration.
 */
public record ResetControlHandle() implements ResourceHandle {
    public static final String ID = "reset_control";
    /** The register's port, fixed by the chipsets that have it. */
    public static final int PORT = 0xCF9;
    public static final ResetControlHandle INSTANCE = new ResetControlHandle();

    public Resource<ChipsetDevice> toResource() {
        return Resource.of(ResourceKinds.CHIPSET_DEVICE, ID, this);
    }

    public static ResetControlHandle parse(ConfigReader config) {
        return INSTANCE;
    }

    @Override
    public void writeConfig(ConfigWriter out) {}
}
