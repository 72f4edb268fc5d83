/**
 * The jvmm contract. Plugins depend on this module alone.
 *
 * <ul>
 *   <li>{@code io.jvmm.api.resource}: resource kinds, typed resources, the resolver SPI and handle config codecs;</li>
 *   <li>{@code io.jvmm.api.device}: chipset devices and their optional capabilities, line interrupts, board services;</li>
 *   <li>{@code io.jvmm.api.hv}: the hypervisor SPI;</li>
 *   <li>{@code io.jvmm.api.serial}, {@code io.jvmm.api.input}, {@code io.jvmm.api.battery},
 *       {@code io.jvmm.api.net}: backend contracts;</li>
 *   <li>{@code io.jvmm.api.handles}: the standard handle records of the seed's devices;</li>
 *   <li>{@code io.jvmm.api.support}: helpers for implementors (a byte ring, a log rate limiter).</li>
 * </ul>
 */
module io.jvmm.api {
    exports io.jvmm.api.resource;
    exports io.jvmm.api.device;
    exports io.jvmm.api.hv;
    exports io.jvmm.api.serial;
    exports io.jvmm.api.input;
    exports io.jvmm.api.battery;
    exports io.jvmm.api.net;
    exports io.jvmm.api.handles;
    exports io.jvmm.api.support;
}
