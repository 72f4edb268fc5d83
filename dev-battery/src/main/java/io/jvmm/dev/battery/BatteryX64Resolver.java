package io.jvmm.dev.battery;

import io.jvmm.api.hv.MachineArch;

/** Resolves {@code chipset_device:battery_x64}: MMIO 0xFED3F000, GPE0 bit 9. */
public final class BatteryX64Resolver extends BatteryDeviceResolver {
    public BatteryX64Resolver() {
        super(MachineArch.X86_64);
    }
}
