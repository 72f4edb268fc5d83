package com.example.postcode;

import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.ChipsetDeviceResolver;
import io.jvmm.api.resource.ResolveContext;

/**
 * Resolves {@code chipset_device:postcode}. Stateless, as resolvers must be: everything that
 * belongs to one VM lives in the device it returns.
 */
public final class PostCodeResolver extends ChipsetDeviceResolver<PostCodeHandle> {
    /** ServiceLoader needs a public no-argument constructor. */
    public PostCodeResolver() {
        super(PostCodeHandle.ID, PostCodeHandle.class, PostCodeHandle::parse);
    }

    @Override
    public ChipsetDevice resolve(PostCodeHandle handle, ResolveContext context) {
        return new PostCodeDevice(context.deviceName(), handle.port(), context.board().clock(), System.err);
    }
}
