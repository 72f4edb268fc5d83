package io.jvmm.dev.battery;

import io.jvmm.api.hv.MachineArch;

/** Resolves {@code chipset_device:battery_aarch64}: MMIO 0xEFFEA000, IRQ line 4. */
public final class BatteryAarch64Resolver extends BatteryDeviceResolver {
    public BatteryAarch64Resolver() {
        super(MachineArch.AARCH64);
    }
}
