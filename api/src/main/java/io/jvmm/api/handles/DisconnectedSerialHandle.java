package io.jvmm.api.handles;

import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.ConfigWriter;
import io.jvmm.api.resource.Resource;
import io.jvmm.api.resource.ResourceHandle;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.api.serial.SerialBackend;

/** A serial backend that is never connected: output is dropped, input never arrives. */
public record DisconnectedSerialHandle() implements ResourceHandle {
    public static final String ID = "disconnected";

    public static DisconnectedSerialHandle parse(ConfigReader config) {
        return new DisconnectedSerialHandle();
    }

    public static Resource<SerialBackend> resource() {
        return Resource.of(ResourceKinds.SERIAL_BACKEND, ID, new DisconnectedSerialHandle());
    }

    @Override
    public void writeConfig(ConfigWriter out) {}
}
