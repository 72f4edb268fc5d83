/**
 * The i8042 keyboard controller (ports 0x60/0x64, IRQ1 and IRQ12) with a PS/2 keyboard fed by
 * host key input and a stub PS/2 mouse. Resolver {@code chipset_device:i8042}.
 *
 * @provides io.jvmm.api.resource.ResourceResolver
 */
// The chip is called i8042; the name keeps it despite javac's advice against terminal digits.
@SuppressWarnings("module")
module io.jvmm.dev.i8042 {
    requires io.jvmm.api;

    provides io.jvmm.api.resource.ResourceResolver with io.jvmm.dev.i8042.I8042Resolver;
}
