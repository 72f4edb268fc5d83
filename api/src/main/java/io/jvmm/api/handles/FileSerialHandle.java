package io.jvmm.api.handles;

import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.ConfigWriter;
import io.jvmm.api.resource.Resource;
import io.jvmm.api.resource.ResourceHandle;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.api.serial.SerialBackend;
import java.util.Objects;

/**
 * A serial backend that appends the guest's output to a file. Always connected; no input.
 *
 * @param path the file; created if missing, appended to if present
 */
public record FileSerialHandle(String path) implements ResourceHandle {
    public static final String ID = "file";

    public FileSerialHandle {
        Objects.requireNonNull(path, "path");
        if (path.isBlank()) {
            throw new IllegalArgumentException("serial file path must not be blank");
        }
    }

    public static FileSerialHandle parse(ConfigReader config) {
        String path = config.string("path");
        if (path.isBlank()) {
            throw config.error("path", "must not be blank");
        }
        return new FileSerialHandle(path);
    }

    public static Resource<SerialBackend> resource(String path) {
        return new FileSerialHandle(path).toResource();
    }

    public Resource<SerialBackend> toResource() {
        return Resource.of(ResourceKinds.SERIAL_BACKEND, ID, this);
    }

    @Override
    public void writeConfig(ConfigWriter out) {
        out.string("path", path);
    }
}
