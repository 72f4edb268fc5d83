/**
 * PCI configuration mechanism #1 at 0xCF8/0xCFC with an i440FX host bridge.
 *
 * @provides io.jvmm.api.resource.ResourceResolver
 */
module io.jvmm.dev.pcibus {
    requires io.jvmm.api;

    provides io.jvmm.api.resource.ResourceResolver with io.jvmm.dev.pcibus.PciBusResolver;
}
