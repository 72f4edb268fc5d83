package io.jvmm.runtime.serial;

import io.jvmm.api.handles.TcpSerialHandle;
import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.ResolveContext;
import io.jvmm.api.resource.ResolveException;
import io.jvmm.api.resource.ResourceKind;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.api.resource.ResourceResolver;
import io.jvmm.api.serial.SerialBackend;
import java.io.IOException;
import java.net.InetSocketAddress;

/** Resolves {@code serial_backend:tcp}: listens on host:port for one client at a time. */
public final class TcpSerialResolver implements ResourceResolver<TcpSerialHandle, SerialBackend> {
    /** Also the ServiceLoader provider constructor. */
    public TcpSerialResolver() {}

    /** Queue size of each direction. */
    static final int CAPACITY = 64 * 1024;

    @Override
    public ResourceKind<SerialBackend> kind() {
        return ResourceKinds.SERIAL_BACKEND;
    }

    @Override
    public String id() {
        return TcpSerialHandle.ID;
    }

    @Override
    public Class<TcpSerialHandle> handleType() {
        return TcpSerialHandle.class;
    }

    @Override
    public TcpSerialHandle parseHandle(ConfigReader config) {
        return TcpSerialHandle.parse(config);
    }

    @Override
    public SerialBackend resolve(TcpSerialHandle handle, ResolveContext context) throws ResolveException {
        try {
            return TcpSerialBackend.listen(context.deviceName() + "-tcp", handle.host(), handle.port(), CAPACITY);
        } catch (IOException | SecurityException e) {
            throw cannotListen(handle, context.deviceName(), e);
        }
    }

    /**
     * Checks what can be checked without binding (the host resolves), for {@code jvmm check}:
     * whether the port is free is only known by binding it.
     */
    static void checkAddress(TcpSerialHandle handle, String deviceName) throws ResolveException {
        if (new InetSocketAddress(handle.host(), handle.port()).isUnresolved()) {
            throw cannotListen(handle, deviceName, new IOException("unknown host '" + handle.host() + "'"));
        }
    }

    private static ResolveException cannotListen(TcpSerialHandle handle, String deviceName, Exception e) {
        String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return new ResolveException("device '" + deviceName + "': serial tcp backend cannot listen on "
                + handle.host() + ":" + handle.port() + ": " + reason
                + "; pick a free port (or 0 for any) and an address of this host", e);
    }
}
