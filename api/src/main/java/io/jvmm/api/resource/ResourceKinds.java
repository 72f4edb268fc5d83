package io.jvmm.api.resource;

import io.jvmm.api.battery.BatterySource;
import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.input.KeyboardInput;
import io.jvmm.api.net.NetBackend;
import io.jvmm.api.serial.SerialBackend;

/** The standard resource kinds. Plugins may add more. */
public final class ResourceKinds {
    /** A device on the chipset bus (port I/O, MMIO, interrupts). */
    public static final ResourceKind<ChipsetDevice> CHIPSET_DEVICE =
            new ResourceKind<>("chipset_device", ChipsetDevice.class);
    /** The host side of a UART: a console, a file, a socket. */
    public static final ResourceKind<SerialBackend> SERIAL_BACKEND =
            new ResourceKind<>("serial_backend", SerialBackend.class);
    /** A source of host key strokes. */
    public static final ResourceKind<KeyboardInput> KEYBOARD_INPUT =
            new ResourceKind<>("keyboard_input", KeyboardInput.class);
    /** A source of host battery updates. */
    public static final ResourceKind<BatterySource> BATTERY_SOURCE =
            new ResourceKind<>("battery_source", BatterySource.class);
    /** The host side of a network card: a TAP device, ... */
    public static final ResourceKind<NetBackend> NET_BACKEND =
            new ResourceKind<>("net_backend", NetBackend.class);

    private ResourceKinds() {}
}
