/**
 * An SBSA/PL011 UART: a 4 KiB MMIO register window, one level interrupt line, a serial backend.
 *
 * @provides io.jvmm.api.resource.ResourceResolver
 */
@SuppressWarnings("module") // the digits name the chip
module io.jvmm.dev.pl011 {
    requires io.jvmm.api;

    provides io.jvmm.api.resource.ResourceResolver with io.jvmm.dev.pl011.Pl011Resolver;
}
