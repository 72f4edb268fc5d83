package io.jvmm.runtime.manifest;

import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.resource.Resource;
import java.util.Objects;

/**
 * A named "please instantiate this device" entry. The name appears in every log and error and
 * must be unique within a manifest.
 */
public record ChipsetDeviceHandle(String name, Resource<ChipsetDevice> resource) {
    public ChipsetDeviceHandle {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(resource, "resource");
        if (name.isBlank()) {
            throw new IllegalArgumentException("device name must not be blank");
        }
    }
}
