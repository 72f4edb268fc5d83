/**
 * A network backend on a Linux TAP device: {@code /dev/net/tun} with {@code IFF_VNET_HDR}, so frames
 * carry the virtio-net header and the checksum/segmentation offloads pass through.
 *
 * @provides io.jvmm.api.resource.ResourceResolver
 */
module io.jvmm.net.tap {
    requires io.jvmm.api;
    requires com.sun.jna;

    provides io.jvmm.api.resource.ResourceResolver with io.jvmm.net.tap.TapResolver;
}
