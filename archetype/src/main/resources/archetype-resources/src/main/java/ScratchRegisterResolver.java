package ${package};

import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.ChipsetDeviceResolver;
import io.jvmm.api.resource.ResolveContext;

/**
 * Resolves {@code chipset_device:${deviceId}}. Stateless: one instance serves every VM, and
 * everything that belongs to one VM lives in the device it returns.
 */
public final class ScratchRegisterResolver extends ChipsetDeviceResolver<ScratchRegisterHandle> {
    /** ServiceLoader needs a public no-argument constructor. */
    public ScratchRegisterResolver() {
        super(ScratchRegisterHandle.ID, ScratchRegisterHandle.class, ScratchRegisterHandle::parse);
    }

    @Override
    public ChipsetDevice resolve(ScratchRegisterHandle handle, ResolveContext context) {
        return new ScratchRegisterDevice(handle.port());
    }
}
