package io.jvmm.api.device;

/**
 * A device on the chipset bus. It states what it offers once, as its {@link Capabilities}; the bus
 * reads them when the board is built (the regions of its port I/O and MMIO become the device's
 * claims) and never probes the device with {@code instanceof}.
 *
 * <p>Every capability method of one device is called under that device's own lock: accesses from
 * several vCPUs, polls and lifecycle calls are serialized per device, never across devices.
 */
public interface ChipsetDevice {
    /**
     * What this device offers: build the value once (e.g. in a field) with
     * {@link Capabilities#builder()}, and return the same value every time.
     */
    Capabilities capabilities();
}
