package io.jvmm.api.device;

import java.util.Optional;

/**
 * A device on the chipset bus. It is deliberately minimal: the bus asks for each optional
 * capability once, when the board is built, and never probes with {@code instanceof}.
 *
 * <p>Every capability method of one device is called under that device's own lock: accesses from
 * several vCPUs, polls and lifecycle calls are serialized per device, never across devices.
 */
public interface ChipsetDevice {
    /** Port I/O, for devices that claimed PIO regions. */
    default Optional<PortIoIntercept> portIo() {
        return Optional.empty();
    }

    /** Memory-mapped I/O, for devices that claimed MMIO regions. */
    default Optional<MmioIntercept> mmio() {
        return Optional.empty();
    }

    /** A PCI function's configuration space, for devices that sit on a PCI bus. */
    default Optional<PciConfigSpace> pciConfig() {
        return Optional.empty();
    }

    /** For PCI bus devices: where the board attaches the {@link #pciConfig()} of other devices. */
    default Optional<PciBus> pciBus() {
        return Optional.empty();
    }

    /** Work done off the vCPU threads when the device's {@link DeviceWaker} fires. */
    default Optional<PollDevice> pollDevice() {
        return Optional.empty();
    }

    /** For interrupt controllers and other targets of a line set. */
    default Optional<LineInterruptTarget> lineInterruptTarget() {
        return Optional.empty();
    }

    /** Start, stop and reset notifications. */
    default Optional<DeviceLifecycle> lifecycle() {
        return Optional.empty();
    }

    /** Versioned saved state. Devices without it cannot be saved (and say so). */
    default Optional<SaveRestore> savedState() {
        return Optional.empty();
    }
}
