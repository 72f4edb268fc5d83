package com.example.postcode;

import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.ConfigWriter;
import io.jvmm.api.resource.ResourceHandle;

/**
 * What a manifest says about the device: {@code {"port": "0x80"}}. The port is optional and
 * defaults to 0x80, the PC's POST-code port.
 *
 * @param port the I/O port the device claims
 */
public record PostCodeHandle(int port) implements ResourceHandle {
    /** The resolver id: the manifest's {@code "id": "postcode"}. */
    public static final String ID = "postcode";
    public static final int DEFAULT_PORT = 0x80;

    public PostCodeHandle {
        if (port < 0 || port > 0xFFFF) {
            throw new IllegalArgumentException("postcode port must be 0..0xffff, was " + port);
        }
    }

    /** Reads the handle back from a manifest's {@code config}; every key it knows is consumed. */
    public static PostCodeHandle parse(ConfigReader config) {
        return new PostCodeHandle(config.has("port") ? config.u16("port") : DEFAULT_PORT);
    }

    @Override
    public void writeConfig(ConfigWriter out) {
        out.hex("port", port);
    }
}
