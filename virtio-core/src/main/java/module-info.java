/**
 * The virtio 1.x (modern) PCI transport and split virtqueues, shared by virtio device plugins: a
 * device implements {@link io.jvmm.virtio.VirtioDevice} and its resolver returns a
 * {@link io.jvmm.virtio.VirtioPciDevice}. A library, not a plugin: it provides no resolver.
 */
module io.jvmm.virtio {
    requires transitive io.jvmm.api;

    exports io.jvmm.virtio;
}
