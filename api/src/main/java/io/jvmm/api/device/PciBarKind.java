package io.jvmm.api.device;

/**
 * What a base address register decodes (PCI Local Bus 3.0 §6.2.5.1). A 64-bit BAR takes two
 * consecutive registers: its index and the next one (the upper half).
 */
public enum PciBarKind {
    /** Memory, 32-bit address (type 00b): anywhere below 4 GiB. */
    MMIO32,
    /** Memory, 64-bit address (type 10b): two registers. */
    MMIO64
}
