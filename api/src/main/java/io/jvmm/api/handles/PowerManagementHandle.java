package io.jvmm.api.handles;

import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.ConfigWriter;
import io.jvmm.api.resource.Resource;
import io.jvmm.api.resource.ResourceHandle;
import io.jvmm.api.resource.ResourceKinds;

/**
 * The ACPI power-management register block ({@code with_hyperv_power_management}); its SCI is
 * IRQ 9. The key is optional, so an empty config object gives {@link #DEFAULT}.
 *
 * @param pioBase first port of the 0x37-byte block (config key {@code pio_base}, default 0x400)
 */
public record PowerManagementHandle(int pioBase) implements ResourceHandle {
    public static final String ID = "hyperv_power_management";
    public static final int DEFAULT_PIO_BASE = 0x400;
    /** Ports the block spans. */
    public static final int LENGTH = 0x37;
    public static final PowerManagementHandle DEFAULT = new PowerManagementHandle(DEFAULT_PIO_BASE);

    public PowerManagementHandle {
        if (pioBase < 0 || pioBase + LENGTH - 1 > 0xFFFF) {
            throw new IllegalArgumentException("PM base port 0x" + Integer.toHexString(pioBase)
                    + " leaves no room for the 0x37-byte block below 0x10000");
        }
    }

    public Resource<ChipsetDevice> toResource() {
        return Resource.of(ResourceKinds.CHIPSET_DEVICE, ID, this);
    }

    public static PowerManagementHandle parse(ConfigReader config) {
        if (!config.has("pio_base")) {
            return DEFAULT;
        }
        int base = (int) config.unsigned("pio_base", 0x10000 - LENGTH);
        return new PowerManagementHandle(base);
    }

    @Override
    public void writeConfig(ConfigWriter out) {
        out.hex("pio_base", pioBase);
    }
}
