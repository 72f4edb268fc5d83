package io.jvmm.dev.battery;

import io.jvmm.api.battery.BatterySource;
import io.jvmm.api.handles.FixedBatteryHandle;
import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.ResolveContext;
import io.jvmm.api.resource.ResourceKind;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.api.resource.ResourceResolver;

/**
 * Resolves {@code battery_source:fixed} to a source that is also an
 * {@link io.jvmm.api.battery.UpdatableBatterySource}, for the control socket's {@code battery}
 * command.
 */
public final class FixedBatterySourceResolver implements ResourceResolver<FixedBatteryHandle, BatterySource> {
    @Override
    public ResourceKind<BatterySource> kind() {
        return ResourceKinds.BATTERY_SOURCE;
    }

    @Override
    public String id() {
        return FixedBatteryHandle.ID;
    }

    @Override
    public Class<FixedBatteryHandle> handleType() {
        return FixedBatteryHandle.class;
    }

    @Override
    public FixedBatteryHandle parseHandle(ConfigReader config) {
        return FixedBatteryHandle.parse(config);
    }

    @Override
    public BatterySource resolve(FixedBatteryHandle handle, ResolveContext context) {
        return new FixedBatterySource(handle.state());
    }
}
