package ${package};

import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.ResolveContext;
import io.jvmm.api.resource.ResourceKind;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.api.resource.ResourceResolver;

/**
 * Resolves {@code chipset_device:${deviceId}}. Stateless: one instance serves every VM, and
 * everything that belongs to one VM lives in the device it returns.
 */
public final class ScratchRegisterResolver implements ResourceResolver<ScratchRegisterHandle, ChipsetDevice> {
    /** The name of the region the device claims (shown in conflict messages). */
    static final String REGION = "scratch";

    /** ServiceLoader needs a public no-argument constructor. */
    public ScratchRegisterResolver() {}

    @Override
    public ResourceKind<ChipsetDevice> kind() {
        return ResourceKinds.CHIPSET_DEVICE;
    }

    @Override
    public String id() {
        return ScratchRegisterHandle.ID;
    }

    @Override
    public Class<ScratchRegisterHandle> handleType() {
        return ScratchRegisterHandle.class;
    }

    @Override
    public ScratchRegisterHandle parseHandle(ConfigReader config) {
        return ScratchRegisterHandle.parse(config);
    }

    @Override
    public ChipsetDevice resolve(ScratchRegisterHandle handle, ResolveContext context) {
        context.board().claimPio(REGION, handle.port(), handle.port());
        return new ScratchRegisterDevice(handle.port());
    }
}
