/**
 * virtio-net: a virtio 1.x network card on PCI (Linux's virtio_net) over any network backend.
 *
 * @provides io.jvmm.api.resource.ResourceResolver
 */
module io.jvmm.dev.virtionet {
    requires io.jvmm.api;
    requires io.jvmm.virtio;

    provides io.jvmm.api.resource.ResourceResolver with io.jvmm.dev.virtionet.VirtioNetResolver;
}
