package io.jvmm.runtime.board;

import io.jvmm.api.device.PowerAction;
import java.util.Objects;

/**
 * A device's power request as the board passes it on: which device, what it asked for, and what
 * the guest did to make it ask ({@code null} when the device did not say).
 */
public record PowerRequest(String device, PowerAction action, String cause) {
    public PowerRequest {
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(action, "action");
    }

    /** The request as the cause of a run's end: "i8042 pulsed the reset line (command 0xfe)". */
    public String describe() {
        if (cause != null) {
            return device + " " + cause;
        }
        return device + " requested " + switch (action) {
            case POWER_OFF -> "a power-off";
            case RESET -> "a reset";
            case HIBERNATE -> "hibernation (treated as a power-off)";
        };
    }
}
