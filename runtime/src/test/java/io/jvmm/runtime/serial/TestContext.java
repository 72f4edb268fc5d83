package io.jvmm.runtime.serial;

import io.jvmm.api.device.BoardServices;
import io.jvmm.api.resource.ResolveContext;
import io.jvmm.api.resource.Resource;

/** A context for backend resolvers, which use only the device name. */
record TestContext(String deviceName) implements ResolveContext {
    @Override
    public <T> T resolve(Resource<T> resource) {
        throw new UnsupportedOperationException("backends have no nested resources");
    }

    @Override
    public BoardServices board() {
        throw new UnsupportedOperationException("backends need no board");
    }
}
