package io.jvmm.runtime.serial;

import io.jvmm.api.handles.StdioSerialHandle;
import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.ResolveContext;
import io.jvmm.api.resource.ResourceKind;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.api.resource.ResourceResolver;
import io.jvmm.api.serial.SerialBackend;

/** Resolves {@code serial_backend:stdio}: the VMM's standard input and output (never closed). */
public final class StdioSerialResolver implements ResourceResolver<StdioSerialHandle, SerialBackend> {
    /** Also the ServiceLoader provider constructor. */
    public StdioSerialResolver() {}

    @Override
    public ResourceKind<SerialBackend> kind() {
        return ResourceKinds.SERIAL_BACKEND;
    }

    @Override
    public String id() {
        return StdioSerialHandle.ID;
    }

    @Override
    public Class<StdioSerialHandle> handleType() {
        return StdioSerialHandle.class;
    }

    @Override
    public StdioSerialHandle parseHandle(ConfigReader config) {
        return StdioSerialHandle.parse(config);
    }

    @Override
    public SerialBackend resolve(StdioSerialHandle handle, ResolveContext context) {
        return new StreamSerialBackend(context.deviceName() + "-stdio", System.in, System.out, false);
    }
}
