package io.jvmm.dev.virtionet;

import io.jvmm.api.device.DeviceWaker;
import io.jvmm.api.device.DmaMemory;
import io.jvmm.api.device.GuestMemoryException;
import io.jvmm.api.device.SavedStateBlob;
import io.jvmm.api.net.NetBackend;
import io.jvmm.api.net.NetBackendListener;
import io.jvmm.api.net.NetOffload;
import io.jvmm.api.support.LogRateLimiter;
import io.jvmm.api.support.StateFormat;
import io.jvmm.virtio.DescriptorChain;
import io.jvmm.virtio.VirtQueue;
import io.jvmm.virtio.VirtQueueException;
import io.jvmm.virtio.VirtioDevice;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;

/**
 * The network device (virtio 1.2 §5.1) with one receive and one transmit queue (§5.1.2: queue 0
 * receiveq1, queue 1 transmitq1), no control queue. Frames go to and come from a {@link NetBackend}
 * with the 12-byte {@code virtio_net_hdr_v1} in front (§5.1.6), the same layout the guest uses, so
 * headers pass through unchanged except {@code num_buffers}, which the device fills, and received
 * flags or GSO types the driver did not negotiate (§5.1.6.4.1, see {@link #sanitiseHeader}).
 *
 * <p><b>Features.</b> Always VIRTIO_NET_F_MAC (the manifest's address in the configuration space),
 * VIRTIO_NET_F_STATUS (the link is always up) and VIRTIO_NET_F_MRG_RXBUF; the checksum and
 * segmentation offloads only as far as the backend takes them ({@link NetBackend#offloads()}), each
 * in both directions (§5.1.3.1: every TSO/ECN bit needs the matching CSUM bit). The GUEST_* bits
 * the driver accepts are handed to {@link NetBackend#setReceiveOffloads} before the first frame is
 * received, so the host never sends the guest an offload it did not ask for.
 *
 * <p><b>Receive (host to guest).</b> A frame is taken from the backend only when the driver has
 * posted a buffer: while the receive queue is empty the device reads nothing and the host queues or
 * drops (a TAP's own queue), which is the only place frames are lost. A frame read is copied into
 * one chain, or with MRG_RXBUF into as many as it needs (§5.1.6.4: {@code num_buffers} in the first
 * one's header, the chains used together); if the driver has posted too few, the frame is held until
 * it posts more. Without MRG_RXBUF a frame that does not fit its chain is dropped and counted.
 *
 * <p><b>Transmit (guest to host).</b> Each chain's readable bytes are one frame, handed to the
 * backend as views of guest memory where {@link DmaMemory#view} gives them (else copied once). When
 * the backend is full the device keeps the chain and waits for the listener. A chain shorter than
 * the header or longer than {@link #TX_FRAME_MAX} is returned unsent and counted, as is a frame the
 * host rejects.
 *
 * <p>All of it runs in {@link #process} on the board's device thread, at most {@link #FRAMES_PER_CALL}
 * frames per direction per call. Not thread-safe except {@link #listener}: the transport calls
 * everything else under the device's lock.
 *
 * <p><b>Saved state</b> ({@link NetState}): the MAC and status the driver was shown, and a received
 * frame the device read but has not fully placed. The chains it holds (a transmit chain the
 * backend had no room for, receive chains a frame was being spread over) go back into their rings
 * ({@link #heldChains}): the restored device pops them again, sends the frame it did not send and
 * places the saved frame from its start, so nothing is lost or sent twice. The negotiated receive
 * offloads are told to the new backend before its first frame is read, as after any negotiation
 * ({@link #applyOffloads}); a backend that lacks an offload the driver negotiated is refused by
 * the transport (it checks the features the device offers).
 */
final class VirtioNet implements VirtioDevice {
    private static final System.Logger LOG = System.getLogger(VirtioNet.class.getName());

    static final int DEVICE_ID = 1;
    static final int RECEIVEQ = 0;
    static final int TRANSMITQ = 1;
    static final int QUEUE_SIZE = 256;
    /** Frames moved per direction per {@link #process} call before it yields to other devices. */
    static final int FRAMES_PER_CALL = 64;
    static final int HEADER = NetBackend.HEADER_LENGTH;
    /**
     * The largest frame a driver may send (§5.1.6.2: 65550 bytes with a GSO header's worth of
     * Ethernet, IP and TCP on top of 64 KiB), plus the header.
     */
    static final int TX_FRAME_MAX = HEADER + 65550;
    /** The receive bounce buffer: the largest frame the host can hand (64 KiB of GSO payload plus headers). */
    static final int RX_FRAME_MAX = HEADER + 65536 + 1024;
    /**
     * Receive failures in a row (each in its own {@link #process} turn) after which the device gives
     * up on a backend that fails without saying it is gone, rather than spin on it.
     */
    static final int RX_FAILURES_MAX = 1000;

    // §5.1.3: feature bits
    static final long F_CSUM = 1L << 0;
    static final long F_GUEST_CSUM = 1L << 1;
    static final long F_MAC = 1L << 5;
    static final long F_GUEST_TSO4 = 1L << 7;
    static final long F_GUEST_TSO6 = 1L << 8;
    static final long F_GUEST_ECN = 1L << 9;
    static final long F_GUEST_UFO = 1L << 10;
    static final long F_HOST_TSO4 = 1L << 11;
    static final long F_HOST_TSO6 = 1L << 12;
    static final long F_HOST_ECN = 1L << 13;
    static final long F_HOST_UFO = 1L << 14;
    static final long F_MRG_RXBUF = 1L << 15;
    static final long F_STATUS = 1L << 16;
    /** §5.1.4: status bit. */
    static final int S_LINK_UP = 1;
    /** §5.1.4: mac[6], status, max_virtqueue_pairs, mtu. */
    static final int CONFIG_SIZE = 12;
    /** §5.1.6: header flags and gso_type values. */
    static final int HDR_F_NEEDS_CSUM = 1;
    static final int HDR_F_DATA_VALID = 2;
    static final int GSO_NONE = 0;
    static final int GSO_TCPV4 = 1;
    static final int GSO_UDP = 3;
    static final int GSO_TCPV6 = 4;
    static final int GSO_ECN = 0x80;
    /** §5.1.6: where num_buffers sits in the header. */
    static final int NUM_BUFFERS_OFFSET = 10;

    /**
     * The network device's own saved state.
     *
     * @param mac the MAC address the configuration showed (§5.1.4)
     * @param status the configuration's status field
     * @param rxFrame a frame read from the backend, with its header, not yet used in the receive
     *     queue (empty: none); the restored device places it first
     */
    record NetState(byte[] mac, int status, byte[] rxFrame) {
        NetState {
            mac = mac.clone();
            rxFrame = rxFrame.clone();
            if (mac.length != 6) {
                throw new IllegalArgumentException("a MAC address has 6 bytes, not " + mac.length);
            }
            if (status < 0 || status > 0xFFFF) {
                throw new IllegalArgumentException("status " + status);
            }
            if (rxFrame.length != 0 && (rxFrame.length < HEADER || rxFrame.length > RX_FRAME_MAX)) {
                throw new IllegalArgumentException("a held frame of " + rxFrame.length + " bytes (" + HEADER + ".."
                        + RX_FRAME_MAX + " with its header)");
            }
        }

        static final StateFormat<NetState> FORMAT = StateFormat.of("virtio.net", 1,
                (s, out) -> out.bytes("mac", s.mac).u16("status", s.status()).bytes("rxFrame", s.rxFrame),
                in -> new NetState(in.bytes("mac", 6), in.u16("status"), in.bytes("rxFrame", RX_FRAME_MAX)));
    }

    private final String name;
    private final NetBackend backend;
    private final DmaMemory memory;
    /** §5.1.4: the device configuration space, fixed (the link never goes down). */
    private final byte[] config = new byte[CONFIG_SIZE];
    private final long features;
    private final LogRateLimiter warnings = new LogRateLimiter(5);

    /** Set by the backend's listener (any thread), cleared by the queue's process before it looks. */
    private volatile boolean rxSignal = true;
    private volatile boolean txSignal = true;

    /** The driver features whose GUEST_* offloads the backend was last told; -1: none told yet. */
    private long offloadsFor = -1;

    private final ByteBuffer rxFrame = ByteBuffer.allocateDirect(RX_FRAME_MAX).order(ByteOrder.LITTLE_ENDIAN);
    private final ByteBuffer[] rxBuffers = {rxFrame};
    /** The length of the frame held in {@link #rxFrame}, 0 when none. */
    private int rxLength;
    /** How much of it is in chains already. */
    private int rxPlaced;
    /** A receive chain popped ({@code queue.chain()}) and not written yet. */
    private boolean rxChainPopped;
    /** The chains holding the frame so far (MRG_RXBUF), used together once it is placed. */
    private final int[] rxHeads = new int[QUEUE_SIZE];
    private final int[] rxWritten = new int[QUEUE_SIZE];
    private int rxChains;
    /** Guest addresses of the two bytes of the first chain's num_buffers. */
    private long numBuffersLow;
    private long numBuffersHigh;
    private final byte[] numBuffers = new byte[2];

    /** A transmit chain the backend could not take yet. */
    private boolean txHeld;
    private final ByteBuffer[] txBuffers = new ByteBuffer[QUEUE_SIZE];
    private final ByteBuffer txBounce = ByteBuffer.allocateDirect(TX_FRAME_MAX);

    /** What {@link #readFrame} found. */
    private enum Read {
        /** A frame is in {@link #rxFrame}. */
        FRAME,
        /** Nothing waiting: the backend's listener calls again. */
        NONE,
        /** Nothing now, but look again on the next turn (a run of bad frames, a failed read). */
        RETRY,
        /** The backend can never deliver again: stop receiving. */
        GONE
    }

    /** Failed receives in a row (see {@link #RX_FAILURES_MAX}). */
    private int rxFailures;
    /** The backend failed for good: nothing more is read from it. */
    private boolean rxGone;

    private long rxFrames;
    private long rxBytes;
    private long rxDropped;
    private long txFrames;
    private long txBytes;
    private long txErrors;

    VirtioNet(String name, NetBackend backend, byte[] mac, DmaMemory memory) {
        if (mac.length != 6) {
            throw new IllegalArgumentException("a MAC address has 6 bytes, not " + mac.length);
        }
        this.name = name;
        this.backend = backend;
        System.arraycopy(mac, 0, config, 0, 6);
        config[6] = S_LINK_UP; // status: no announce, link always up
        config[8] = 1; // max_virtqueue_pairs (read only with VIRTIO_NET_F_MQ, which is not offered)
        this.memory = memory;
        this.features = offered(backend.offloads());
    }

    /** The device features for a backend's offloads (§5.1.3.1's dependencies kept). */
    static long offered(Set<NetOffload> offloads) {
        long f = F_MAC | F_STATUS | F_MRG_RXBUF;
        if (!offloads.contains(NetOffload.CSUM)) {
            return f; // every segmentation offload needs partial checksums
        }
        f |= F_CSUM | F_GUEST_CSUM;
        boolean tso = false;
        if (offloads.contains(NetOffload.TSO4)) {
            f |= F_HOST_TSO4 | F_GUEST_TSO4;
            tso = true;
        }
        if (offloads.contains(NetOffload.TSO6)) {
            f |= F_HOST_TSO6 | F_GUEST_TSO6;
            tso = true;
        }
        if (tso && offloads.contains(NetOffload.TSO_ECN)) {
            f |= F_HOST_ECN | F_GUEST_ECN;
        }
        if (offloads.contains(NetOffload.UFO)) {
            f |= F_HOST_UFO | F_GUEST_UFO;
        }
        return f;
    }

    /** The offloads frames to the guest may use under the driver's {@code acked} features. */
    static Set<NetOffload> receiveOffloads(long acked) {
        Set<NetOffload> s = EnumSet.noneOf(NetOffload.class);
        if ((acked & F_GUEST_CSUM) == 0) {
            return s;
        }
        s.add(NetOffload.CSUM);
        if ((acked & F_GUEST_TSO4) != 0) {
            s.add(NetOffload.TSO4);
        }
        if ((acked & F_GUEST_TSO6) != 0) {
            s.add(NetOffload.TSO6);
        }
        if ((acked & F_GUEST_ECN) != 0) {
            s.add(NetOffload.TSO_ECN);
        }
        if ((acked & F_GUEST_UFO) != 0) {
            s.add(NetOffload.UFO);
        }
        return s;
    }

    /** The backend's listener: flags a direction and wakes the transport's poll. */
    NetBackendListener listener(DeviceWaker waker) {
        return new NetBackendListener() {
            @Override
            public void readable() {
                rxSignal = true;
                waker.wake();
            }

            @Override
            public void writable() {
                txSignal = true;
                waker.wake();
            }
        };
    }

    @Override
    public int deviceId() {
        return DEVICE_ID;
    }

    @Override
    public int pciClassCode() {
        return 0x02_0000; // network controller, Ethernet
    }

    @Override
    public long features() {
        return features;
    }

    @Override
    public int queueCount() {
        return 2;
    }

    @Override
    public int maxQueueSize(int queue) {
        return QUEUE_SIZE;
    }

    @Override
    public int configSize() {
        return CONFIG_SIZE;
    }

    @Override
    public void readConfig(int offset, byte[] data) {
        System.arraycopy(config, offset, data, 0, data.length); // on the vCPU's exit path: no allocation
    }

    @Override
    public boolean hasWork(int queue) {
        return queue == RECEIVEQ ? rxSignal : txHeld && txSignal;
    }

    @Override
    public boolean process(VirtQueue queue, long acked) throws VirtQueueException {
        return queue.index() == RECEIVEQ ? receive(queue, acked) : transmit(queue);
    }

    /** Tells the backend the driver's receive offloads when they changed (a new negotiation). */
    private void applyOffloads(long acked) {
        if (acked == offloadsFor) {
            return;
        }
        offloadsFor = acked;
        Set<NetOffload> wanted = receiveOffloads(acked);
        wanted.retainAll(backend.offloads());
        try {
            backend.setReceiveOffloads(wanted);
        } catch (IOException e) {
            // the host then sends only complete, checksummed frames, which every driver takes
            LOG.log(System.Logger.Level.WARNING, "{0}: cannot enable receive offloads {1} on {2}: {3}", name,
                    wanted, backend.name(), e.getMessage());
        }
    }

    /** Host to guest (§5.1.6.3, §5.1.6.4). */
    private boolean receive(VirtQueue queue, long acked) throws VirtQueueException {
        rxSignal = false; // a signal after this point calls again
        applyOffloads(acked);
        boolean mergeable = (acked & F_MRG_RXBUF) != 0;
        for (int frames = 0; frames < FRAMES_PER_CALL; ) {
            if (!rxChainPopped) {
                if (!queue.next()) {
                    return false; // no buffers: the host keeps its frames until the driver posts some
                }
                rxChainPopped = true;
            }
            if (rxLength == 0) {
                switch (readFrame(acked)) {
                    case FRAME:
                        break;
                    case RETRY:
                        rxSignal = true;
                        return true; // call again on the next turn: nothing else would wake us
                    case NONE: // nothing waiting: the listener's readable() calls again
                    case GONE: // nothing will ever come
                    default:
                        return false;
                }
            }
            DescriptorChain chain = queue.chain();
            long room = chain.writableLength();
            if (!mergeable) {
                if (room < HEADER) {
                    rxChainPopped = false;
                    queue.complete(chain.head(), 0); // no frame fits: return it unused, keep the frame
                    frames++;
                    continue;
                }
                if (room < rxLength) {
                    countRxDrop("a " + rxLength + "-byte frame does not fit a " + room + "-byte receive buffer");
                    rxLength = 0; // the chain stays for the next frame
                    frames++; // a flood of frames too large for it is still bounded per call
                    continue;
                }
                rxFrame.putShort(NUM_BUFFERS_OFFSET, (short) 1); // §5.1.6.4: 1 without MRG_RXBUF
                rxFrame.limit(rxLength).position(0);
                chain.write(memory, 0, rxFrame);
                rxChainPopped = false;
                queue.complete(chain.head(), rxLength);
                rxBytes += rxLength;
                rxLength = 0;
                rxFrames++;
                frames++;
                continue;
            }
            if (room < HEADER) {
                // §5.1.6.3.1: with MRG_RXBUF every buffer holds at least a header
                throw new VirtQueueException("receive chain " + chain.head() + " has " + room
                        + " writable bytes, less than the " + HEADER + "-byte header");
            }
            if (rxChains == 0) {
                numBuffersLow = chain.writableAddress(NUM_BUFFERS_OFFSET);
                numBuffersHigh = chain.writableAddress(NUM_BUFFERS_OFFSET + 1);
            }
            int n = (int) Math.min(room, rxLength - rxPlaced);
            rxFrame.limit(rxPlaced + n).position(rxPlaced);
            chain.write(memory, 0, rxFrame);
            rxChainPopped = false;
            rxHeads[rxChains] = chain.head();
            rxWritten[rxChains] = n;
            rxChains++;
            rxPlaced += n;
            if (rxPlaced == rxLength) {
                putNumBuffers(rxChains);
                // §5.1.6.4.2: all of a packet's buffers become used together, one step of used.idx
                // (Linux's receive_mergeable drops a packet whose num_buffers are not all visible)
                for (int i = 0; i < rxChains; i++) {
                    queue.addUsed(rxHeads[i], rxWritten[i]);
                }
                queue.publishUsed();
                rxChains = 0;
                rxBytes += rxLength;
                rxLength = 0;
                rxFrames++;
                frames++;
            } else if (rxChains == queue.size()) {
                // a whole queue of buffers is too small for it: hand them back empty
                for (int i = 0; i < rxChains; i++) {
                    queue.addUsed(rxHeads[i], 0);
                }
                queue.publishUsed();
                rxChains = 0;
                countRxDrop("a " + rxLength + "-byte frame does not fit the whole receive queue");
                rxLength = 0;
                frames++;
            }
        }
        return true; // a budget's worth served: there may be more
    }

    /** Reads the next frame into {@link #rxFrame}, skipping (and counting) malformed ones. */
    private Read readFrame(long acked) {
        if (rxGone) {
            return Read.GONE;
        }
        for (int tries = 0; tries < FRAMES_PER_CALL; tries++) {
            rxFrame.clear();
            int n;
            try {
                n = backend.receive(rxBuffers, 1);
            } catch (ClosedChannelException e) {
                rxGone = true; // e.g. the TAP interface was deleted: retrying would only spin
                LOG.log(System.Logger.Level.ERROR, "{0}: receiving stopped: {1}", name,
                        e.getMessage() != null ? e.getMessage() : backend.name() + " is closed");
                return Read.GONE;
            } catch (IOException e) {
                countRxDrop("receiving from " + backend.name() + " failed: " + e.getMessage());
                if (++rxFailures >= RX_FAILURES_MAX) {
                    rxGone = true;
                    LOG.log(System.Logger.Level.ERROR, "{0}: receiving stopped after {1} failures in a row from {2}",
                            name, Integer.toString(rxFailures), backend.name());
                    return Read.GONE;
                }
                return Read.RETRY; // perhaps passing: try again on the next turn, not in a loop now
            }
            rxFailures = 0;
            if (n == 0) {
                return Read.NONE;
            }
            if (n < HEADER || n > RX_FRAME_MAX) {
                countRxDrop("the backend handed a " + n + "-byte frame");
                continue;
            }
            String unfit = sanitiseHeader(acked);
            if (unfit != null) {
                countRxDrop(unfit);
                continue;
            }
            rxLength = n;
            rxPlaced = 0;
            return Read.FRAME;
        }
        return Read.RETRY; // a run of bad frames: look again on the next turn, not in this one
    }

    /**
     * Makes the received header fit what the driver negotiated (§5.1.6.4.1), in place: without
     * VIRTIO_NET_F_GUEST_CSUM flags must be 0, and gso_type must be one the driver accepted
     * (GUEST_TSO4/TSO6/UFO, the ECN bit with GUEST_ECN). The backend is told the same set
     * ({@link #applyOffloads}), so this is a guard, not the normal path: DATA_VALID the driver did not
     * ask for is cleared (the frame is whole and checksummed either way), while a frame that needs
     * a checksum or segmentation the driver cannot do is useless to it and is dropped. Bits outside
     * NEEDS_CSUM and DATA_VALID (RSC_INFO needs a feature we do not offer) are cleared. Allocates
     * nothing.
     *
     * @return null when the frame may go to the driver, else why not (a constant)
     */
    private String sanitiseHeader(long acked) {
        int flags = rxFrame.get(0) & 0xFF;
        int gso = rxFrame.get(1) & 0xFF;
        boolean csum = (acked & F_GUEST_CSUM) != 0;
        if ((flags & HDR_F_NEEDS_CSUM) != 0 && !csum) {
            return "a frame with a partial checksum, and the driver did not negotiate GUEST_CSUM";
        }
        int allowed = csum ? HDR_F_NEEDS_CSUM | HDR_F_DATA_VALID : 0;
        if ((flags & ~allowed) != 0) {
            rxFrame.put(0, (byte) (flags & allowed));
        }
        if (gso != GSO_NONE) {
            boolean ok = switch (gso & ~GSO_ECN) {
                case GSO_TCPV4 -> (acked & F_GUEST_TSO4) != 0;
                case GSO_TCPV6 -> (acked & F_GUEST_TSO6) != 0;
                case GSO_UDP -> (acked & F_GUEST_UFO) != 0;
                default -> false;
            };
            if (!ok || ((gso & GSO_ECN) != 0 && (acked & F_GUEST_ECN) == 0)) {
                return "a segmentation-offload frame of a type the driver did not negotiate";
            }
        }
        return null;
    }

    private void putNumBuffers(int count) throws VirtQueueException {
        numBuffers[0] = (byte) count;
        numBuffers[1] = (byte) (count >>> 8);
        try {
            memory.write(numBuffersLow, numBuffers, 0, 1);
            if (numBuffersHigh >= 0) {
                memory.write(numBuffersHigh, numBuffers, 1, 1);
            }
        } catch (GuestMemoryException e) {
            throw new VirtQueueException("receive header: " + e.getMessage());
        }
    }

    private void countRxDrop(String why) {
        rxDropped++;
        long suppressed = warnings.tryAcquire();
        if (suppressed != LogRateLimiter.SUPPRESSED) {
            LOG.log(System.Logger.Level.WARNING, "{0}: dropped a received frame: {1}{2}", name, why,
                    LogRateLimiter.suppressedNote(suppressed));
        }
    }

    /** Guest to host (§5.1.6.2): one frame per chain. */
    private boolean transmit(VirtQueue queue) throws VirtQueueException {
        txSignal = false; // space freed after this point calls again
        for (int frames = 0; frames < FRAMES_PER_CALL; frames++) {
            if (!txHeld) {
                if (!queue.next()) {
                    return false;
                }
                txHeld = true;
            }
            DescriptorChain chain = queue.chain();
            long length = chain.readableLength();
            if (length < HEADER || length > TX_FRAME_MAX) {
                countTxError("a " + length + "-byte transmit chain (a frame has " + HEADER + ".." + TX_FRAME_MAX
                        + " bytes with its header)");
                txHeld = false;
                queue.complete(chain.head(), 0);
                continue;
            }
            int count = frameBuffers(chain, (int) length);
            boolean taken;
            try {
                taken = backend.send(txBuffers, count);
            } catch (IOException e) {
                countTxError(backend.name() + " rejected a " + length + "-byte frame: " + e.getMessage());
                taken = true; // dropped: the next frame may go through
            } finally {
                Arrays.fill(txBuffers, 0, count, null); // no view of guest memory outlives the call
            }
            if (!taken) {
                return false; // the backend is full: keep the chain until its listener reports room
            }
            txHeld = false;
            txFrames++;
            txBytes += length;
            queue.complete(chain.head(), 0); // the device wrote nothing into the chain
        }
        return true; // a budget's worth served: there may be more
    }

    /** Fills {@link #txBuffers} with the frame: views of guest memory, or one bounce copy. */
    private int frameBuffers(DescriptorChain chain, int length) throws VirtQueueException {
        int count = 0;
        try {
            for (int i = 0; i < chain.readableCount(); i++) {
                int l = (int) chain.length(i);
                if (l == 0) {
                    continue;
                }
                ByteBuffer view = memory.view(chain.address(i), l);
                if (view == null) {
                    count = -1;
                    break;
                }
                txBuffers[count++] = view;
            }
        } catch (GuestMemoryException e) {
            throw new VirtQueueException("transmit chain " + chain.head() + ": " + e.getMessage());
        }
        if (count >= 0) {
            return count;
        }
        Arrays.fill(txBuffers, null);
        txBounce.clear().limit(length);
        chain.read(memory, 0, txBounce);
        txBounce.flip();
        txBuffers[0] = txBounce;
        return 1;
    }

    private void countTxError(String why) {
        txErrors++;
        long suppressed = warnings.tryAcquire();
        if (suppressed != LogRateLimiter.SUPPRESSED) {
            LOG.log(System.Logger.Level.WARNING, "{0}: dropped a transmitted frame: {1}{2}", name, why,
                    LogRateLimiter.suppressedNote(suppressed));
        }
    }

    long rxFrames() {
        return rxFrames;
    }

    long rxDropped() {
        return rxDropped;
    }

    long txFrames() {
        return txFrames;
    }

    long txErrors() {
        return txErrors;
    }

    @Override
    public int heldChains(int queue) {
        if (queue == RECEIVEQ) {
            return rxChains + (rxChainPopped ? 1 : 0);
        }
        return txHeld ? 1 : 0;
    }

    @Override
    public Optional<SavedStateBlob> saveState() {
        byte[] frame = new byte[rxLength];
        rxFrame.duplicate().clear().get(0, frame); // its limit may be where placing it stopped
        return Optional.of(NetState.FORMAT.save(new NetState(Arrays.copyOf(config, 6), status(), frame)));
    }

    private int status() {
        return (config[6] & 0xFF) | (config[7] & 0xFF) << 8;
    }

    /**
     * The driver read the MAC once and uses it as the guest's address: a device with another one is
     * not the NIC the guest had.
     */
    @Override
    public void restoreState(SavedStateBlob state) {
        NetState s = NetState.FORMAT.restore(state);
        if (!Arrays.equals(s.mac, Arrays.copyOf(config, 6))) {
            throw new IllegalArgumentException("network device " + name + " has MAC " + mac(config) + ", the snapshot's "
                    + "had " + mac(s.mac) + ": restore with the same MAC (the guest keeps using its own)");
        }
        if (s.status() != status()) {
            throw new IllegalArgumentException("network device " + name + " shows status " + status()
                    + ", the snapshot's showed " + s.status());
        }
        rxChainPopped = false; // the held chains are back in their rings
        rxChains = 0;
        txHeld = false;
        rxFrame.clear().put(0, s.rxFrame);
        rxLength = s.rxFrame.length;
        rxPlaced = 0;
        rxSignal = true;
        txSignal = true;
        offloadsFor = -1; // the new backend hears the negotiated offloads before its first frame
    }

    private static String mac(byte[] b) {
        return HexFormat.ofDelimiter(":").formatHex(b, 0, 6);
    }

    @Override
    public void reset() {
        // §2.4: the chains the device held belong to the old rings; a frame read but not placed is lost
        if (rxLength != 0) {
            rxDropped++;
        }
        rxChainPopped = false;
        rxChains = 0;
        rxLength = 0;
        txHeld = false;
        rxSignal = true;
        txSignal = true;
        // the next driver's offloads reach the backend before its first frame is read (applyOffloads);
        // no call here: a reset is a register write on the vCPU's exit path
        offloadsFor = -1;
    }

    @Override
    public void close() {
        // frame sizes tell whether the segmentation offloads were used (frames beyond the MTU)
        LOG.log(System.Logger.Level.INFO, "{0}: {1} frames sent ({2} bytes with headers), {3} errors; {4} frames "
                + "received ({5} bytes), {6} dropped", name, Long.toString(txFrames), Long.toString(txBytes),
                Long.toString(txErrors), Long.toString(rxFrames), Long.toString(rxBytes), Long.toString(rxDropped));
        backend.close();
    }
}
