package io.jvmm.api.device;

/**
 * The board's side of one attached PCI function's BARs, used by the PCI bus device as the guest
 * programs the BARs and the command register: {@link #map} makes the board send accesses in
 * {@code [address, address + size)} to the function as (bar, offset); {@link #unmap} stops that.
 * Called on the configuration path (rare), never on the BAR access path.
 */
public interface PciBarMapper {
    /**
     * Maps BAR {@code bar} at {@code address}, replacing its previous mapping. Returns false (and
     * the board logs why) when the range overlaps another device's region or mapped BAR: the BAR
     * then decodes nothing until it is moved, as a conflicting address is the guest's mistake.
     */
    boolean map(int bar, long address, long size);

    /** Stops decoding BAR {@code bar}; nothing happens if it is not mapped. */
    void unmap(int bar);
}
