package io.jvmm.dev.battery;

import io.jvmm.api.battery.BatterySource;
import io.jvmm.api.device.BoardServices;
import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.ChipsetDeviceResolver;
import io.jvmm.api.handles.BatteryHandle;
import io.jvmm.api.hv.MachineArch;
import io.jvmm.api.resource.ResolveContext;
import io.jvmm.api.resource.ResolveException;

/** The shared part of the two battery resolvers; they differ only in the architecture. */
abstract class BatteryDeviceResolver extends ChipsetDeviceResolver<BatteryHandle> {
    private final MachineArch arch;

    BatteryDeviceResolver(MachineArch arch) {
        super(BatteryHandle.idFor(arch), BatteryHandle.class, config -> BatteryHandle.parse(arch, config));
        this.arch = arch;
    }

    @Override
    public ChipsetDevice resolve(BatteryHandle handle, ResolveContext context) throws ResolveException {
        if (handle.arch() != arch) {
            throw new ResolveException("device '" + context.deviceName() + "': a battery handle for "
                    + handle.arch().label() + " was given to resolver " + id() + "; use "
                    + BatteryHandle.idFor(handle.arch()));
        }
        BatteryLayout layout = BatteryLayout.of(arch);
        BoardServices board = context.board();
        BatterySource source = context.resolve(handle.source());
        BatteryDevice device = new BatteryDevice(layout,
                board.newLine(layout.lineSet, "battery", layout.vector), board.waker());
        // May deliver the current state at once, on this thread; it waits in the mailbox until
        // the first poll.
        source.subscribe(device::hostUpdate);
        return device;
    }
}
