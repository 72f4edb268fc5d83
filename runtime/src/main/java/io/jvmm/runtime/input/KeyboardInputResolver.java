package io.jvmm.runtime.input;

import io.jvmm.api.handles.MultiplexedKeyboardHandle;
import io.jvmm.api.input.KeyboardInput;
import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.ResolveContext;
import io.jvmm.api.resource.ResolveException;
import io.jvmm.api.resource.ResourceKind;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.api.resource.ResourceResolver;
import java.util.Objects;

/**
 * Resolves {@code keyboard_input:keyboard} ({@link MultiplexedKeyboardHandle}) to a sink of one
 * VM's {@link KeyboardDistributor}, named after the consuming device. It holds per-VM state, so
 * it is not a {@code ServiceLoader} provider: the runtime registers one explicitly per VM.
 */
public final class KeyboardInputResolver implements ResourceResolver<MultiplexedKeyboardHandle, KeyboardInput> {
    private final KeyboardDistributor distributor;

    public KeyboardInputResolver(KeyboardDistributor distributor) {
        this.distributor = Objects.requireNonNull(distributor, "distributor");
    }

    @Override
    public ResourceKind<KeyboardInput> kind() {
        return ResourceKinds.KEYBOARD_INPUT;
    }

    @Override
    public String id() {
        return MultiplexedKeyboardHandle.ID;
    }

    @Override
    public Class<MultiplexedKeyboardHandle> handleType() {
        return MultiplexedKeyboardHandle.class;
    }

    @Override
    public MultiplexedKeyboardHandle parseHandle(ConfigReader config) {
        return MultiplexedKeyboardHandle.parse(config);
    }

    @Override
    public KeyboardInput resolve(MultiplexedKeyboardHandle handle, ResolveContext context) throws ResolveException {
        try {
            return distributor.sink(context.deviceName(), handle.elevation());
        } catch (IllegalArgumentException e) {
            throw new ResolveException(e.getMessage(), e);
        }
    }
}
