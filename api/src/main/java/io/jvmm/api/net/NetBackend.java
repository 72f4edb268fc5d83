package io.jvmm.api.net;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Set;

/**
 * The host side of a network card: whole Ethernet frames, each preceded by the 12-byte
 * {@code virtio_net_hdr_v1} (virtio 1.2 §5.1.6: flags, gso_type, hdr_len, gso_size, csum_start,
 * csum_offset, num_buffers) in both directions, so a virtio-net device can hand the guest's buffers
 * through as they are. A Linux TAP device with {@code IFF_VNET_HDR} and a header size of 12 uses
 * exactly that layout.
 *
 * <p>Every method is non-blocking and safe to call under a device lock: the backend does its own
 * waiting on its own thread and tells the {@link NetBackendListener} when a blocked direction can
 * move. Frames are exchanged through {@link ByteBuffer}s (scatter/gather): each buffer's remaining
 * bytes, from its position to its limit. Buffers may alias guest memory
 * ({@link io.jvmm.api.device.DmaMemory#view}); implementations must not keep them after the call.
 */
public interface NetBackend extends AutoCloseable {
    /** Bytes of the {@code virtio_net_hdr_v1} in front of every frame. */
    int HEADER_LENGTH = 12;

    /**
     * The offloads this backend accepts in frames it is sent and can produce in frames it
     * receives once {@link #setReceiveOffloads enabled}. Never changes.
     */
    Set<NetOffload> offloads();

    /**
     * Which offloads frames handed out by {@link #receive} may use: what the guest's driver
     * accepted (a subset of {@link #offloads()}). Starts empty: every frame complete and checksummed.
     *
     * @throws IOException if the host refused (the caller keeps the previous set)
     */
    void setReceiveOffloads(Set<NetOffload> offloads) throws IOException;

    /**
     * Takes one waiting frame (header first) into {@code buffers[0..count)}, filling them in order.
     *
     * @return the frame's whole length, header included; 0 when none is waiting (then the listener's
     *     {@link NetBackendListener#readable} follows once one arrives). A result larger than the
     *     buffers' room means the frame did not fit and its tail was lost.
     * @throws java.nio.channels.ClosedChannelException when the backend can never deliver again (closed,
     *     or its host side is gone, e.g. a deleted TAP interface): the device stops receiving
     * @throws IOException when the host side failed this time; the frame, if any, is lost and the
     *     device tries again later
     */
    int receive(ByteBuffer[] buffers, int count) throws IOException;

    /**
     * Offers one frame (header first), made of the remaining bytes of {@code buffers[0..count)}.
     *
     * @return true when it was taken (whole), false when the backend is full: nothing was taken and
     *     the listener's {@link NetBackendListener#writable} follows once it has room
     * @throws IOException when the host rejected this frame (e.g. a malformed header, an interface
     *     that is down); the frame is dropped, the next may go through
     */
    boolean send(ByteBuffer[] buffers, int count) throws IOException;

    /** Registers the one listener (the device's waker). */
    void setListener(NetBackendListener listener);

    /** A short description for logs, e.g. {@code tap0}. */
    String name();

    /** Stops the backend's thread and releases host resources. Idempotent. */
    @Override
    void close();
}
