/**
 * virtio-blk: a virtio 1.x block device on PCI backed by a raw image file.
 *
 * @provides io.jvmm.api.resource.ResourceResolver
 */
module io.jvmm.dev.virtioblk {
    requires io.jvmm.api;
    requires io.jvmm.virtio;

    provides io.jvmm.api.resource.ResourceResolver with io.jvmm.dev.virtioblk.VirtioBlkResolver;
}
