package io.jvmm.dev.virtiovsock;

import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One stream between a guest port and a host Unix socket. Owned by the device (its lock), except
 * {@link #ready}, which the selector thread sets. The counters are the u32 wrapping counters of
 * virtio 1.2 §5.10.6.3, kept in ints and compared by difference.
 */
final class Connection {
    enum State {
        /** The guest asked (REQUEST); the connect to {@code PATH_port} is in progress. */
        CONNECTING_HOST,
        /** A host client asked (CONNECT); REQUEST went to the guest, RESPONSE not yet back. */
        REQUESTED,
        ESTABLISHED,
        CLOSED
    }

    /** The host side's port (the guest's destination port, or the ephemeral port we gave a host client). */
    final int hostPort;
    final int guestPort;
    final SocketChannel channel;
    /** The driver's generation ({@link HostSide#epoch()}) the stream belongs to. */
    final int epoch;
    SelectionKey key;
    State state;
    /** For {@link State#REQUESTED}: the System.nanoTime by which the guest must answer. */
    long requestedAt;

    /** Selector ops seen ready and not yet handled by the device (set by the selector thread). */
    final AtomicInteger ready = new AtomicInteger();

    // host -> guest
    /** Bytes sent to the guest in RW packets. */
    int txCnt;
    /** The guest's receive buffer and how much of what we sent it has consumed (its last header). */
    int peerBufAlloc;
    int peerFwdCnt;
    /** The selector said the socket is readable and no read has come back empty since. */
    boolean readable;
    /** In the device's queue of connections to read from. */
    boolean queuedForRx;
    /** The host peer closed its sending side (EOF); the guest was told (SHUTDOWN, send). */
    boolean hostEof;

    // guest -> host
    /** Bytes received from the guest in RW packets. */
    int rxCnt;
    /** Bytes of those written to the host socket: the fwd_cnt we advertise. */
    int fwdCnt;
    /** The fwd_cnt in the last packet we sent the guest. */
    int advertisedFwdCnt;
    /** Bytes from the guest the socket has not taken yet (filled mode: data in [0, position)); lazily made. */
    ByteBuffer pending;
    /** SHUTDOWN flags the guest sent (§5.10.6.4). */
    int peerShutdown;
    boolean outputShut;
    boolean creditUpdateQueued;

    Connection(int hostPort, int guestPort, SocketChannel channel, State state, int epoch) {
        this.epoch = epoch;
        this.hostPort = hostPort;
        this.guestPort = guestPort;
        this.channel = channel;
        this.state = state;
    }

    static long key(int hostPort, int guestPort) {
        return (Integer.toUnsignedLong(hostPort) << 32) | Integer.toUnsignedLong(guestPort);
    }

    long key() {
        return key(hostPort, guestPort);
    }

    /** Bytes the guest may still send us before it runs out of the credit we advertised. */
    int pendingToHost() {
        return pending == null ? 0 : pending.position();
    }

    /** How many bytes we may send the guest now (§5.10.6.3.1): its buffer less what is in flight. */
    int credit() {
        long inFlight = Integer.toUnsignedLong(txCnt - peerFwdCnt);
        long c = Integer.toUnsignedLong(peerBufAlloc) - inFlight;
        return c <= 0 ? 0 : (int) Math.min(c, Integer.MAX_VALUE);
    }

    @Override
    public String toString() {
        return "host port " + Integer.toUnsignedString(hostPort) + " <-> guest port " + Integer.toUnsignedString(guestPort);
    }
}
