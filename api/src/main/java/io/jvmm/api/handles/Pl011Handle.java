package io.jvmm.api.handles;

import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.ConfigWriter;
import io.jvmm.api.resource.Resource;
import io.jvmm.api.resource.ResourceHandle;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.api.serial.SerialBackend;
import java.util.Objects;

/**
 * An SBSA/PL011 UART with a 4 KiB MMIO window.
 *
 * @param base MMIO base, 4 KiB aligned
 * @param irq line on the {@code irq} set (aarch64: GIC SPI 32 + irq)
 * @param io the serial backend
 */
public record Pl011Handle(long base, int irq, Resource<SerialBackend> io) implements ResourceHandle {
    public static final String ID = "serial_pl011";
    public static final long COM1_BASE = 0xEFFEC000L;
    public static final int COM1_IRQ = 1;
    public static final long COM2_BASE = 0xEFFEB000L;
    public static final int COM2_IRQ = 2;

    public Pl011Handle {
        Objects.requireNonNull(io, "io");
    }

    public Resource<ChipsetDevice> toResource() {
        return Resource.of(ResourceKinds.CHIPSET_DEVICE, ID, this);
    }

    public static Pl011Handle parse(ConfigReader config) {
        return new Pl011Handle(config.u64("base"), (int) config.u32("irq"),
                config.resource("io", ResourceKinds.SERIAL_BACKEND));
    }

    @Override
    public void writeConfig(ConfigWriter out) {
        out.hex("base", base).number("irq", irq).resource("io", io);
    }
}
