package io.jvmm.api.device;

/**
 * A PCI bus/device/function address.
 *
 * @param bus 0..255
 * @param device 0..31
 * @param function 0..7
 */
public record PciAddress(int bus, int device, int function) {
    public PciAddress {
        if (bus < 0 || bus > 0xFF) {
            throw new IllegalArgumentException("PCI bus " + bus + " outside 0..255");
        }
        if (device < 0 || device > 0x1F) {
            throw new IllegalArgumentException("PCI device " + device + " outside 0..31");
        }
        if (function < 0 || function > 7) {
            throw new IllegalArgumentException("PCI function " + function + " outside 0..7");
        }
    }

    /** Device and function packed as in configuration mechanism #1: {@code device << 3 | function}. */
    public int devfn() {
        return device << 3 | function;
    }

    /** {@code bb:dd.f} in hex, as lspci writes it. */
    @Override
    public String toString() {
        // not String.format: its start-up cost shows on every run, which names devices by address
        return (bus < 0x10 ? "0" : "") + Integer.toHexString(bus) + (device < 0x10 ? ":0" : ":")
                + Integer.toHexString(device) + "." + Integer.toHexString(function);
    }
}
