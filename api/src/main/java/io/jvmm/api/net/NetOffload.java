package io.jvmm.api.net;

/**
 * An offload a {@link NetBackend} can take in both directions through the {@code virtio_net_hdr_v1}
 * in front of each frame (virtio 1.2 §5.1.6.2): a frame may carry a partial checksum or be a
 * segmentation-offload "super frame" that the other side completes or segments.
 */
public enum NetOffload {
    /** Partial checksums (VIRTIO_NET_HDR_F_NEEDS_CSUM). Every other offload needs it. */
    CSUM,
    /** TCP segmentation offload over IPv4 (VIRTIO_NET_HDR_GSO_TCPV4). */
    TSO4,
    /** TCP segmentation offload over IPv6 (VIRTIO_NET_HDR_GSO_TCPV6). */
    TSO6,
    /** TSO with the ECN bit (VIRTIO_NET_HDR_GSO_ECN). */
    TSO_ECN,
    /** UDP fragmentation offload (VIRTIO_NET_HDR_GSO_UDP). */
    UFO
}
