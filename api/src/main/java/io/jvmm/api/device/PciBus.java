package io.jvmm.api.device;

/**
 * A PCI bus device's attachment point: the board hands it every other device's
 * {@link Capabilities#pciConfig()} while it builds the chipset, before the VM runs.
 *
 * <p>The bus calls the attached config space from its own accesses, i.e. under the bus device's
 * lock; the board therefore attaches a wrapper that takes the function's own device lock.
 */
public interface PciBus {
    /**
     * Places {@code function} at {@link PciConfigSpace#address()}, labelled {@code name} in errors.
     *
     * @throws IllegalStateException naming both devices if the address is taken, or if the bus
     *     does not serve that bus number
     */
    void attach(String name, PciConfigSpace function);
}
