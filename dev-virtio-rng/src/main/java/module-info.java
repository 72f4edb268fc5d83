/**
 * virtio-rng: a virtio 1.x entropy device on PCI, fed by the host's SecureRandom.
 *
 * @provides io.jvmm.api.resource.ResourceResolver
 */
module io.jvmm.dev.virtiorng {
    requires io.jvmm.api;
    requires io.jvmm.virtio;

    provides io.jvmm.api.resource.ResourceResolver with io.jvmm.dev.virtiorng.VirtioRngResolver;
}
