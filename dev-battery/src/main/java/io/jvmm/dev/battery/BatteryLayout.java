package io.jvmm.dev.battery;

import io.jvmm.api.device.LineSets;
import io.jvmm.api.hv.MachineArch;

/** Where the battery sits on each architecture; fixed by the firmware's DSDT. */
enum BatteryLayout {
    /** GPE0 bit 9, delivered as an SCI by the PM device. */
    X64(0xFED3_F000L, LineSets.GPE0, 9),
    /** IRQ line 4 (GIC SPI, INTID 36). */
    AARCH64(0xEFFE_A000L, LineSets.IRQ, 4);

    /** Size of the register block. */
    static final int SIZE = 0x20;

    final long mmioBase;
    final String lineSet;
    final int vector;

    BatteryLayout(long mmioBase, String lineSet, int vector) {
        this.mmioBase = mmioBase;
        this.lineSet = lineSet;
        this.vector = vector;
    }

    static BatteryLayout of(MachineArch arch) {
        return arch == MachineArch.X86_64 ? X64 : AARCH64;
    }
}
