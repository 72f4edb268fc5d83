/**
 * virtio-vsock: a virtio 1.x socket device on PCI whose host side is Unix domain sockets (the
 * hybrid mapping: guest port P at {@code PATH_P}, host clients through {@code PATH} and
 * {@code CONNECT <port>}).
 *
 * @provides io.jvmm.api.resource.ResourceResolver
 */
module io.jvmm.dev.virtiovsock {
    requires io.jvmm.api;
    requires io.jvmm.virtio;

    provides io.jvmm.api.resource.ResourceResolver with io.jvmm.dev.virtiovsock.VirtioVsockResolver;
}
