/**
 * The ACPI power-management register block: PM1, PM timer, GPE0, reset; SCI on IRQ 9.
 *
 * @provides io.jvmm.api.resource.ResourceResolver
 */
module io.jvmm.dev.pm {
    requires io.jvmm.api;

    provides io.jvmm.api.resource.ResourceResolver with io.jvmm.dev.pm.PowerManagementResolver;
}
