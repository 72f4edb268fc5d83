package io.jvmm.dev.pm;

import io.jvmm.api.device.BoardServices;
import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.LineSets;
import io.jvmm.api.handles.PowerManagementHandle;
import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.ResolveContext;
import io.jvmm.api.resource.ResourceKind;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.api.resource.ResourceResolver;

/** Resolves {@code chipset_device:hyperv_power_management}. */
public final class PowerManagementResolver
        implements ResourceResolver<PowerManagementHandle, ChipsetDevice> {
    /** The ACPI SCI line on the {@code irq} set (the x86 convention; the FADT must say the same). */
    static final int SCI_IRQ = 9;

    @Override
    public ResourceKind<ChipsetDevice> kind() {
        return ResourceKinds.CHIPSET_DEVICE;
    }

    @Override
    public String id() {
        return PowerManagementHandle.ID;
    }

    @Override
    public Class<PowerManagementHandle> handleType() {
        return PowerManagementHandle.class;
    }

    @Override
    public PowerManagementHandle parseHandle(ConfigReader config) {
        return PowerManagementHandle.parse(config);
    }

    @Override
    public ChipsetDevice resolve(PowerManagementHandle handle, ResolveContext context) {
        BoardServices board = context.board();
        int base = handle.pioBase();
        board.claimPio("pm", base, base + PowerManagementHandle.LENGTH - 1);
        PowerManagementDevice device = new PowerManagementDevice(context.deviceName(), base,
                board.newLine(LineSets.IRQ, "sci", SCI_IRQ), board.clock(), board::requestPower);
        board.addLineTarget(LineSets.GPE0, 0, PowerManagementDevice.GPE0_LINES - 1, 0,
                device.gpe0Target());
        return device;
    }
}
