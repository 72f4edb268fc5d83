package io.jvmm.net.tap;

import io.jvmm.api.handles.TapHandle;
import io.jvmm.api.net.NetBackend;
import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.ResolveContext;
import io.jvmm.api.resource.ResolveException;
import io.jvmm.api.resource.ResourceKind;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.api.resource.ResourceResolver;

/**
 * Resolves {@code net_backend:tap}: attaches to (or creates) the TAP interface, so a missing
 * {@code /dev/net/tun}, a missing permission or a busy interface fails the VM's start with a message
 * naming the interface and the fix.
 */
public final class TapResolver implements ResourceResolver<TapHandle, NetBackend> {
    /** Also the ServiceLoader provider constructor. */
    public TapResolver() {}

    @Override
    public ResourceKind<NetBackend> kind() {
        return ResourceKinds.NET_BACKEND;
    }

    @Override
    public String id() {
        return TapHandle.ID;
    }

    @Override
    public Class<TapHandle> handleType() {
        return TapHandle.class;
    }

    @Override
    public TapHandle parseHandle(ConfigReader config) {
        return TapHandle.parse(config);
    }

    @Override
    public NetBackend resolve(TapHandle handle, ResolveContext context) throws ResolveException {
        try {
            return TapBackend.open(handle.interfaceName());
        } catch (TapBackend.TapException e) {
            throw new ResolveException("device '" + context.deviceName() + "': " + e.getMessage(), e);
        }
    }
}
