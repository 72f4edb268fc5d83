package io.jvmm.dev.battery;

import io.jvmm.api.battery.BatterySource;
import io.jvmm.api.handles.HostBatteryHandle;
import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.ResolveContext;
import io.jvmm.api.resource.ResolveException;
import io.jvmm.api.resource.ResourceKind;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.api.resource.ResourceResolver;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;

/** Resolves {@code battery_source:host}: the host's batteries, from sysfs. */
public final class HostBatterySourceResolver implements ResourceResolver<HostBatteryHandle, BatterySource> {
    @Override
    public ResourceKind<BatterySource> kind() {
        return ResourceKinds.BATTERY_SOURCE;
    }

    @Override
    public String id() {
        return HostBatteryHandle.ID;
    }

    @Override
    public Class<HostBatteryHandle> handleType() {
        return HostBatteryHandle.class;
    }

    @Override
    public HostBatteryHandle parseHandle(ConfigReader config) {
        return HostBatteryHandle.parse(config);
    }

    @Override
    public BatterySource resolve(HostBatteryHandle handle, ResolveContext context) throws ResolveException {
        Path root;
        try {
            root = Path.of(handle.sysfsRoot());
        } catch (InvalidPathException e) {
            throw new ResolveException("device '" + context.deviceName() + "': host battery sysfs root '"
                    + handle.sysfsRoot() + "' is not a valid path: " + e.getReason());
        }
        return new HostBatterySource(root, Duration.ofMillis(handle.pollMillis()));
    }
}
