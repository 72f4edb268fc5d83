package io.jvmm.api.handles;

import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.input.KeyboardInput;
import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.ConfigWriter;
import io.jvmm.api.resource.Resource;
import io.jvmm.api.resource.ResourceHandle;
import io.jvmm.api.resource.ResourceKinds;
import java.util.Objects;

/** The i8042 keyboard controller with a PS/2 keyboard fed by {@code keyboardInput}. */
public record I8042Handle(Resource<KeyboardInput> keyboardInput) implements ResourceHandle {
    public static final String ID = "i8042";

    public I8042Handle {
        Objects.requireNonNull(keyboardInput, "keyboardInput");
    }

    public Resource<ChipsetDevice> toResource() {
        return Resource.of(ResourceKinds.CHIPSET_DEVICE, ID, this);
    }

    public static I8042Handle parse(ConfigReader config) {
        return new I8042Handle(config.resource("keyboard_input", ResourceKinds.KEYBOARD_INPUT));
    }

    @Override
    public void writeConfig(ConfigWriter out) {
        out.resource("keyboard_input", keyboardInput);
    }
}
