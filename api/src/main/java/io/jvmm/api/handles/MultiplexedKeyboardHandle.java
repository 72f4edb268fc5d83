package io.jvmm.api.handles;

import io.jvmm.api.input.KeyboardInput;
import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.ConfigWriter;
import io.jvmm.api.resource.Resource;
import io.jvmm.api.resource.ResourceHandle;
import io.jvmm.api.resource.ResourceKinds;

/**
 * The VM's host keyboard, shared by several consumers: input goes to the active consumer with the
 * highest elevation (the i8042 uses 0).
 */
public record MultiplexedKeyboardHandle(int elevation) implements ResourceHandle {
    public static final String ID = "keyboard";

    public MultiplexedKeyboardHandle {
        if (elevation < 0) {
            throw new IllegalArgumentException("elevation must not be negative");
        }
    }

    public Resource<KeyboardInput> toResource() {
        return Resource.of(ResourceKinds.KEYBOARD_INPUT, ID, this);
    }

    public static MultiplexedKeyboardHandle parse(ConfigReader config) {
        return new MultiplexedKeyboardHandle((int) config.u32("elevation"));
    }

    @Override
    public void writeConfig(ConfigWriter out) {
        out.number("elevation", elevation);
    }
}
