/**
 * The bochs/QEMU debug console (port 0xE9 by convention): guest writes go to a serial backend.
 *
 * @provides io.jvmm.api.resource.ResourceResolver
 */
module io.jvmm.dev.debugcon {
    requires io.jvmm.api;

    provides io.jvmm.api.resource.ResourceResolver with io.jvmm.dev.debugcon.DebugconResolver;
}
