package io.jvmm.dev.pm;

import io.jvmm.api.device.BoardServices;
import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.ChipsetDeviceResolver;
import io.jvmm.api.device.LineSets;
import io.jvmm.api.handles.PowerManagementHandle;
import io.jvmm.api.resource.ResolveContext;

/** Resolves {@code chipset_device:hyperv_power_management}. */
public final class PowerManagementResolver extends ChipsetDeviceResolver<PowerManagementHandle> {
    /** The ACPI SCI line on the {@code irq} set (the x86 convention; the FADT must say the same). */
    static final int SCI_IRQ = 9;

    public PowerManagementResolver() {
        super(PowerManagementHandle.ID, PowerManagementHandle.class, PowerManagementHandle::parse);
    }

    @Override
    public ChipsetDevice resolve(PowerManagementHandle handle, ResolveContext context) {
        BoardServices board = context.board();
        int base = handle.pioBase();
        PowerManagementDevice device = new PowerManagementDevice(context.deviceName(), base, SCI_IRQ,
                board.newLine(LineSets.IRQ, "sci", SCI_IRQ), board.clock(), board::requestPower, board.waker());
        board.addLineTarget(LineSets.GPE0, 0, PowerManagementDevice.GPE0_LINES - 1, 0,
                device.gpe0Target());
        return device;
    }
}
