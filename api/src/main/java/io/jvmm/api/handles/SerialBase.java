package io.jvmm.api.handles;

import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.ConfigWriter;

/** Where a 16550 sits: an I/O port base or an MMIO base. */
public sealed interface SerialBase {
    /** Written as {@code {"io_port": "0x3f8"}} or {@code {"mmio": "0xfed00000"}}. */
    void write(ConfigWriter out);

    record IoPort(int port) implements SerialBase {
        public IoPort {
            if (port < 0 || port > 0xFFFF) {
                throw new IllegalArgumentException("I/O port must be 0..0xffff, was " + port);
            }
        }

        @Override
        public void write(ConfigWriter out) {
            out.hex("io_port", port);
        }
    }

    record Mmio(long address) implements SerialBase {
        @Override
        public void write(ConfigWriter out) {
            out.hex("mmio", address);
        }
    }

    static SerialBase parse(ConfigReader config) {
        boolean io = config.has("io_port");
        boolean mmio = config.has("mmio");
        if (io == mmio) {
            throw config.error(io ? "mmio" : "io_port",
                    "give exactly one of \"io_port\" or \"mmio\"");
        }
        return io ? new IoPort(config.u16("io_port")) : new Mmio(config.u64("mmio"));
    }
}
