package io.jvmm.api.handles;

import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.ConfigWriter;
import io.jvmm.api.resource.Resource;
import io.jvmm.api.resource.ResourceHandle;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.api.serial.SerialBackend;
import java.util.Objects;

/**
 * A serial backend listening for one TCP client at a time. Connected while a client is attached;
 * output is dropped (and counted) while none is.
 *
 * @param host the address to listen on, e.g. {@code 127.0.0.1}
 * @param port the port; 0 picks a free one
 */
public record TcpSerialHandle(String host, int port) implements ResourceHandle {
    public static final String ID = "tcp";

    public TcpSerialHandle {
        Objects.requireNonNull(host, "host");
        if (host.isBlank()) {
            throw new IllegalArgumentException("serial tcp host must not be blank");
        }
        if (port < 0 || port > 0xFFFF) {
            throw new IllegalArgumentException("serial tcp port must be 0..65535, was " + port);
        }
    }

    public static TcpSerialHandle parse(ConfigReader config) {
        String host = config.string("host");
        if (host.isBlank()) {
            throw config.error("host", "must not be blank (e.g. \"127.0.0.1\")");
        }
        return new TcpSerialHandle(host, config.u16("port"));
    }

    public static Resource<SerialBackend> resource(String host, int port) {
        return new TcpSerialHandle(host, port).toResource();
    }

    public Resource<SerialBackend> toResource() {
        return Resource.of(ResourceKinds.SERIAL_BACKEND, ID, this);
    }

    @Override
    public void writeConfig(ConfigWriter out) {
        out.string("host", host).number("port", port);
    }
}
