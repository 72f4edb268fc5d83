/**
 * A 16550A UART at an I/O port (register width 1) or in MMIO (register width 1, 2, 4 or 8).
 *
 * @provides io.jvmm.api.resource.ResourceResolver
 */
@SuppressWarnings("module") // the digits name the chip
module io.jvmm.dev.serial16550 {
    requires io.jvmm.api;

    provides io.jvmm.api.resource.ResourceResolver with io.jvmm.dev.serial16550.Serial16550Resolver;
}
