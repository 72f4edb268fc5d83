/**
 * virtio-console: a virtio 1.x console device on PCI (Linux's hvc0) over any serial backend.
 *
 * @provides io.jvmm.api.resource.ResourceResolver
 */
module io.jvmm.dev.virtioconsole {
    requires io.jvmm.api;
    requires io.jvmm.virtio;

    provides io.jvmm.api.resource.ResourceResolver with io.jvmm.dev.virtioconsole.VirtioConsoleResolver;
}
