package ${package};

import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.ConfigWriter;
import io.jvmm.api.resource.ResourceHandle;

/**
 * What a manifest says about the device: {@code {"port": "0x300"}}. The port is optional.
 *
 * @param port the I/O port the device claims
 */
public record ScratchRegisterHandle(int port) implements ResourceHandle {
    /** The resolver id: the manifest's {@code "id"}. */
    public static final String ID = "${deviceId}";
    /** The first port of the PC's prototype-card range. */
    public static final int DEFAULT_PORT = 0x300;

    public ScratchRegisterHandle {
        if (port < 0 || port > 0xFFFF) {
            throw new IllegalArgumentException(ID + " port must be 0..0xffff, was " + port);
        }
    }

    /** Reads the handle back from a manifest's {@code config}; unknown keys are reported for you. */
    public static ScratchRegisterHandle parse(ConfigReader config) {
        return new ScratchRegisterHandle(config.has("port") ? config.u16("port") : DEFAULT_PORT);
    }

    @Override
    public void writeConfig(ConfigWriter out) {
        out.hex("port", port);
    }
}
