package io.jvmm.api.handles;

import io.jvmm.api.battery.BatterySource;
import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.hv.MachineArch;
import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.ConfigWriter;
import io.jvmm.api.resource.Resource;
import io.jvmm.api.resource.ResourceHandle;
import io.jvmm.api.resource.ResourceKinds;
import java.util.Objects;

/**
 * The Hyper-V battery device for one architecture: resolver id {@code battery_x64} (MMIO
 * 0xFED3F000, GPE0 bit 9) or {@code battery_aarch64} (MMIO 0xEFFEA000, IRQ 4).
 *
 * @param arch which layout
 * @param source where host battery updates come from
 */
public record BatteryHandle(MachineArch arch, Resource<BatterySource> source) implements ResourceHandle {
    public static final String ID_X64 = "battery_x64";
    public static final String ID_AARCH64 = "battery_aarch64";

    public BatteryHandle {
        Objects.requireNonNull(arch, "arch");
        Objects.requireNonNull(source, "source");
    }

    public static String idFor(MachineArch arch) {
        return arch == MachineArch.X86_64 ? ID_X64 : ID_AARCH64;
    }

    public Resource<ChipsetDevice> toResource() {
        return Resource.of(ResourceKinds.CHIPSET_DEVICE, idFor(arch), this);
    }

    /** Parses the config of the resolver for {@code arch}; the architecture is implied by the id. */
    public static BatteryHandle parse(MachineArch arch, ConfigReader config) {
        return new BatteryHandle(arch, config.resource("source", ResourceKinds.BATTERY_SOURCE));
    }

    @Override
    public void writeConfig(ConfigWriter out) {
        out.resource("source", source);
    }
}
