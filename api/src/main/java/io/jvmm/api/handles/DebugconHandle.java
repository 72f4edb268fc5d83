package io.jvmm.api.handles;

import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.ConfigWriter;
import io.jvmm.api.resource.Resource;
import io.jvmm.api.resource.ResourceHandle;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.api.serial.SerialBackend;
import java.util.Objects;

/**
 * The bochs/QEMU debug console: an output-only byte port (x86 only).
 *
 * @param port the I/O port, usually 0xE9
 * @param io the serial backend
 */
public record DebugconHandle(int port, Resource<SerialBackend> io) implements ResourceHandle {
    public static final String ID = "debugcon";

    public DebugconHandle {
        Objects.requireNonNull(io, "io");
        if (port < 0 || port > 0xFFFF) {
            throw new IllegalArgumentException("debugcon port must be 0..0xffff, was " + port);
        }
    }

    public Resource<ChipsetDevice> toResource() {
        return Resource.of(ResourceKinds.CHIPSET_DEVICE, ID, this);
    }

    public static DebugconHandle parse(ConfigReader config) {
        return new DebugconHandle(config.u16("port"), config.resource("io", ResourceKinds.SERIAL_BACKEND));
    }

    @Override
    public void writeConfig(ConfigWriter out) {
        out.hex("port", port).resource("io", io);
    }
}
