package com.example.postcode;

import io.jvmm.api.device.BoardServices;
import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.ResolveContext;
import io.jvmm.api.resource.ResourceKind;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.api.resource.ResourceResolver;

/**
 * Resolves {@code chipset_device:postcode}. Stateless, as resolvers must be: everything that
 * belongs to one VM lives in the device it returns.
 */
public final class PostCodeResolver implements ResourceResolver<PostCodeHandle, ChipsetDevice> {
    /** The name of the one-port region the device claims (shown in conflict messages). */
    static final String REGION = "post";

    /** ServiceLoader needs a public no-argument constructor. */
    public PostCodeResolver() {}

    @Override
    public ResourceKind<ChipsetDevice> kind() {
        return ResourceKinds.CHIPSET_DEVICE;
    }

    @Override
    public String id() {
        return PostCodeHandle.ID;
    }

    @Override
    public Class<PostCodeHandle> handleType() {
        return PostCodeHandle.class;
    }

    @Override
    public PostCodeHandle parseHandle(ConfigReader config) {
        return PostCodeHandle.parse(config);
    }

    @Override
    public ChipsetDevice resolve(PostCodeHandle handle, ResolveContext context) {
        BoardServices board = context.board();
        board.claimPio(REGION, handle.port(), handle.port());
        return new PostCodeDevice(context.deviceName(), handle.port(), board.clock(), System.err);
    }
}
