package io.jvmm.runtime.board;

import io.jvmm.api.device.ChipsetDevice;
import java.util.Objects;

/**
 * A device on the built board.
 *
 * @param name the manifest name (base-chipset devices are named after their flag's device id)
 * @param device the live device
 */
public record BoardDevice(String name, ChipsetDevice device) {
    public BoardDevice {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(device, "device");
    }
}
