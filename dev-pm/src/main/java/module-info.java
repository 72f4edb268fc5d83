/**
 * The ACPI power-management register block (PM1 with the fixed power button, PM timer, GPE0, reset;
 * SCI on IRQ 9) and the PC's reset control register at port 0xCF9.
 *
 * @provides io.jvmm.api.resource.ResourceResolver
 */
module io.jvmm.dev.pm {
    requires io.jvmm.api;

    provides io.jvmm.api.resource.ResourceResolver with io.jvmm.dev.pm.PowerManagementResolver,
            io.jvmm.dev.pm.ResetControlResolver;
}
