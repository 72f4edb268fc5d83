package io.jvmm.runtime.serial;

import io.jvmm.api.handles.DisconnectedSerialHandle;
import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.ResolveContext;
import io.jvmm.api.resource.ResourceKind;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.api.resource.ResourceResolver;
import io.jvmm.api.serial.SerialBackend;

/** Resolves {@code serial_backend:disconnected}. */
public final class DisconnectedSerialResolver implements ResourceResolver<DisconnectedSerialHandle, SerialBackend> {
    /** Also the ServiceLoader provider constructor. */
    public DisconnectedSerialResolver() {}

    @Override
    public ResourceKind<SerialBackend> kind() {
        return ResourceKinds.SERIAL_BACKEND;
    }

    @Override
    public String id() {
        return DisconnectedSerialHandle.ID;
    }

    @Override
    public Class<DisconnectedSerialHandle> handleType() {
        return DisconnectedSerialHandle.class;
    }

    @Override
    public DisconnectedSerialHandle parseHandle(ConfigReader config) {
        return DisconnectedSerialHandle.parse(config);
    }

    @Override
    public SerialBackend resolve(DisconnectedSerialHandle handle, ResolveContext context) {
        return new DisconnectedSerialBackend();
    }
}
