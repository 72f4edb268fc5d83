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

    /**
     * Places the PCI function {@code function} at {@link PciFunctionInfo#address()}: the bus
     * emulates its type-0 header and drives {@code bars} as the guest programs the BARs. The board
     * calls this for every device with a {@link Capabilities#pciFunction()}, with a function that
     * takes that device's lock.
     *
     * @throws IllegalStateException as {@link #attach(String, PciConfigSpace)}
     * @throws UnsupportedOperationException if this bus cannot host PCI functions (this default)
     */
    default void attach(String name, PciFunction function, PciBarMapper bars) {
        throw new UnsupportedOperationException("this PCI bus cannot host PCI functions");
    }
}
