package io.jvmm.api.device;

/** Names of the standard line sets. */
public final class LineSets {
    /** Platform interrupt lines: GSIs on x86, GIC SPIs (offset 32) on aarch64. */
    public static final String IRQ = "irq";
    /** ACPI GPE0 status bits, targeted by the PM device. */
    public static final String GPE0 = "gpe0";
    /** The x86 BSP's LINT0/LINT1 pins. */
    public static final String BSP_LINT = "bsp_lint";

    private LineSets() {}
}
