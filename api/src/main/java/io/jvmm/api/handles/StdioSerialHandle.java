package io.jvmm.api.handles;

import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.ConfigWriter;
import io.jvmm.api.resource.Resource;
import io.jvmm.api.resource.ResourceHandle;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.api.serial.SerialBackend;

/** A serial backend on the VMM's own standard input and output. Always connected. */
public record StdioSerialHandle() implements ResourceHandle {
    public static final String ID = "stdio";

    public static StdioSerialHandle parse(ConfigReader config) {
        return new StdioSerialHandle();
    }

    public static Resource<SerialBackend> resource() {
        return Resource.of(ResourceKinds.SERIAL_BACKEND, ID, new StdioSerialHandle());
    }

    @Override
    public void writeConfig(ConfigWriter out) {}
}
