package io.jvmm.dev.virtiovsock;

import static io.jvmm.dev.virtiovsock.VsockHeader.OP_CREDIT_REQUEST;
import static io.jvmm.dev.virtiovsock.VsockHeader.OP_CREDIT_UPDATE;
import static io.jvmm.dev.virtiovsock.VsockHeader.OP_REQUEST;
import static io.jvmm.dev.virtiovsock.VsockHeader.OP_RESPONSE;
import static io.jvmm.dev.virtiovsock.VsockHeader.OP_RST;
import static io.jvmm.dev.virtiovsock.VsockHeader.OP_RW;
import static io.jvmm.dev.virtiovsock.VsockHeader.OP_SHUTDOWN;
import static io.jvmm.dev.virtiovsock.VsockHeader.SHUTDOWN_BOTH;
import static io.jvmm.dev.virtiovsock.VsockHeader.SHUTDOWN_RECEIVE;
import static io.jvmm.dev.virtiovsock.VsockHeader.SHUTDOWN_SEND;
import static io.jvmm.dev.virtiovsock.VsockHeader.TYPE_STREAM;

import io.jvmm.api.device.DeviceWaker;
import io.jvmm.api.device.DmaMemory;
import io.jvmm.api.device.SavedStateBlob;
import io.jvmm.api.support.LogRateLimiter;
import io.jvmm.api.support.StateFormat;
import io.jvmm.virtio.DescriptorChain;
import io.jvmm.virtio.VirtQueue;
import io.jvmm.virtio.VirtQueueException;
import io.jvmm.virtio.VirtioDevice;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The socket device (virtio 1.2 §5.10), stream sockets only, whose host end is Unix domain
 * sockets: a guest {@code connect(2, P)} is connected to {@code PATH_P}; a host client of
 * {@code PATH} that writes {@code CONNECT <port>\n} is connected to the guest's port and told
 * {@code OK <host port>\n}. Queues: rx (0, device to driver), tx (1, driver to device), event (2,
 * device to driver: after a restore, one VIRTIO_VSOCK_EVENT_TRANSPORT_RESET, §5.10.6.6).
 *
 * <p>Flow control (§5.10.6.3): every packet to the guest advertises {@link #BUF_ALLOC} and how much
 * of the guest's data the host socket took (fwd_cnt); a CREDIT_UPDATE goes out whenever a quarter
 * of the buffer was forwarded since the last advertisement, so a guest that ran out of credit
 * always hears of new credit. Data the socket does not take at once waits in a per-connection
 * buffer of at most {@link #BUF_ALLOC} bytes, which the credit bounds, taken only while data waits
 * and within a per-device budget ({@link #MAX_BUFFERED}: beyond it the tx queue waits); a guest
 * that sends more than its credit gets RST. Toward the guest, a socket is read only into an rx
 * buffer the guest posted and only as far as the guest's credit allows; otherwise its data stays in the socket (its sender
 * blocks) and the selector stops watching it.
 *
 * <p>Threads: {@link HostSide} owns a selector thread that accepts host clients, reads their
 * CONNECT line and reports socket readiness; everything else (non-blocking reads, writes, connects
 * and the queues) runs here under the device's lock on the board's device thread, at most
 * {@link #MAX_PACKETS} packets and {@link #MAX_BYTES} bytes per queue per call.
 *
 * <p>The guest is hostile: a header that does not fit the chain, a {@code len} beyond the chain or
 * 64 KiB, a wrong CID or an unknown type or op is dropped or answered with RST; connections are
 * capped at {@link #MAX_CONNECTIONS}, control replies at {@link #MAX_CONTROL} (the tx queue then
 * waits for rx buffers).
 *
 * <p><b>Saved state</b> ({@link VsockState}): streams are not carried over (their host sockets
 * belong to the old process). The state keeps only the guest CID the configuration showed; the
 * chains the device held go back into their rings ({@link #heldChains}). After a restore the
 * device puts {@code struct virtio_vsock_event { le32 id; }} with id TRANSPORT_RESET into the first
 * event buffer the driver posts (§5.10.6.6), so the driver drops its connections and re-reads the
 * guest CID (which the new run may change); until then it answers packets of the old streams with
 * RST, as for any unknown stream.
 */
final class VirtioVsock implements VirtioDevice {
    private static final System.Logger LOG = System.getLogger(VirtioVsock.class.getName());
    static final int DEVICE_ID = 19;
    static final int RX = 0;
    static final int TX = 1;
    static final int EVENT = 2;
    static final int QUEUE_SIZE = 256;
    static final long HOST_CID = 2;
    /** The receive buffer we advertise per connection, and the bound of its to-host buffer. */
    static final int BUF_ALLOC = 256 * 1024;
    /** Largest payload in one packet either way (Linux sends at most 64 KiB). */
    static final int MAX_PAYLOAD = 64 * 1024;
    static final int MAX_CONNECTIONS = 1024;
    /** Control packets waiting for rx buffers before tx stops taking packets. */
    static final int MAX_CONTROL = 1024;
    static final int MAX_PACKETS = 256;
    static final int MAX_BYTES = 4 * 1024 * 1024;
    /**
     * How long a host client may wait for the guest's RESPONSE, counted from its CONNECT line
     * (the host side closes clients the device did not take by then, e.g. while the driver is not running).
     */
    static final Duration RESPONSE_TIMEOUT = Duration.ofSeconds(10);
    /**
     * The bound of all to-host buffers together: a stream whose host socket does not keep up needs
     * a {@link #BUF_ALLOC} buffer, and 1024 such streams must not take 256 MiB. A packet that would
     * need a buffer beyond it waits in the tx queue (and the tx queue with it) until a buffer is
     * drained or freed: backpressure, no loss.
     */
    static final long MAX_BUFFERED = 16L << 20;
    /** Host-side ports for host clients' connections start here (as Firecracker's do). */
    static final int FIRST_EPHEMERAL_PORT = 1 << 30;

    /** §5.10.6.6: the event ID of a transport reset. */
    static final int EVENT_TRANSPORT_RESET = 0;
    /** §5.10.6.6: struct virtio_vsock_event's size. */
    static final int EVENT_SIZE = 4;

    /**
     * The socket device's own saved state.
     *
     * @param guestCid the guest CID the configuration showed (§5.10.4)
     */
    record VsockState(long guestCid) {
        VsockState {
            String bad = io.jvmm.api.handles.VirtioVsockHandle.cidProblem(guestCid);
            if (bad != null) {
                throw new IllegalArgumentException("guest CID " + bad);
            }
        }

        static final StateFormat<VsockState> FORMAT = StateFormat.of("virtio.vsock", 1,
                (s, out) -> out.u32("guestCid", s.guestCid()), in -> new VsockState(in.u32("guestCid")));
    }

    /** A packet without payload waiting for an rx buffer. */
    private record Control(int op, int hostPort, int guestPort, int flags, Connection connection) {}

    private final String name;
    private final long guestCid;
    private final String udsPath;
    private final DmaMemory memory;
    private final DeviceWaker waker;
    private final HostSide host;
    private final LogRateLimiter badPacketLog = new LogRateLimiter(5);

    private final Map<Long, Connection> connections = new HashMap<>();
    private final ArrayDeque<Control> control = new ArrayDeque<>();
    private final ArrayDeque<Connection> rxReady = new ArrayDeque<>();
    /** Host clients' connections waiting for the guest's RESPONSE, oldest first. */
    private final ArrayDeque<Connection> awaitingResponse = new ArrayDeque<>();
    private int nextEphemeral = FIRST_EPHEMERAL_PORT;
    private boolean rxHeld;
    private boolean txStalled;
    /** A tx chain popped but not yet handled: its packet waits for buffer budget. */
    private boolean txHeld;
    private boolean txWaitsForBuffer;
    /** A TRANSPORT_RESET event waits for an event buffer (after a restore). */
    private boolean resetEventPending;
    private final ByteBuffer event = ByteBuffer.allocate(EVENT_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    /** Bytes of to-host buffers allocated now, at most {@link #maxBuffered}. */
    private long bufferedBytes;
    private final long maxBuffered;

    private final ByteBuffer header = ByteBuffer.allocate(VsockHeader.SIZE).order(ByteOrder.LITTLE_ENDIAN);
    private final ByteBuffer rxData = ByteBuffer.allocateDirect(MAX_PAYLOAD);
    private final ByteBuffer txData = ByteBuffer.allocateDirect(MAX_PAYLOAD);

    VirtioVsock(String name, long guestCid, String udsPath, DmaMemory memory, DeviceWaker waker, HostSide host) {
        this(name, guestCid, udsPath, memory, waker, host, MAX_BUFFERED);
    }

    VirtioVsock(String name, long guestCid, String udsPath, DmaMemory memory, DeviceWaker waker, HostSide host,
            long maxBuffered) {
        this.maxBuffered = maxBuffered;
        this.name = name;
        this.guestCid = guestCid;
        this.udsPath = udsPath;
        this.memory = memory;
        this.waker = waker;
        this.host = host;
    }

    @Override
    public int deviceId() {
        return DEVICE_ID;
    }

    @Override
    public long features() {
        return 0; // §5.10.3: with no feature bit, stream sockets only
    }

    @Override
    public int queueCount() {
        return 3;
    }

    @Override
    public int maxQueueSize(int queue) {
        return QUEUE_SIZE;
    }

    @Override
    public int configSize() {
        return 8; // §5.10.4: le64 guest_cid
    }

    @Override
    public void readConfig(int offset, byte[] data) {
        for (int i = 0; i < data.length; i++) {
            int at = offset + i;
            data[i] = at < 8 ? (byte) (guestCid >>> (8 * at)) : 0;
        }
    }

    @Override
    public boolean hasWork(int queue) {
        if (queue == RX) {
            return !control.isEmpty() || !rxReady.isEmpty() || host.hasEvents() || responseOverdue();
        }
        if (queue == EVENT) {
            return resetEventPending;
        }
        return queue == TX && ((txStalled && control.size() < MAX_CONTROL / 2) || (txWaitsForBuffer && mayBuffer()));
    }

    @Override
    public boolean process(VirtQueue queue, long acked) throws VirtQueueException {
        drainHostEvents();
        if (queue.index() == RX) {
            return receive(queue);
        }
        if (queue.index() == EVENT) {
            return events(queue);
        }
        try {
            return queue.index() == TX && transmit(queue);
        } finally {
            // the transport polls rx before tx: replies, a credit update that made a stream sendable
            // again, or host readiness drained here would sit until some other wake without this one
            if (!control.isEmpty() || !rxReady.isEmpty()) {
                waker.wake();
            }
        }
    }

    /**
     * The event queue (§5.10.6.6): the driver keeps buffers posted; the device uses one only for an
     * event, here a transport reset after a restore. A buffer too small for the event is returned
     * unused.
     */
    private boolean events(VirtQueue queue) throws VirtQueueException {
        while (resetEventPending && queue.next()) {
            DescriptorChain chain = queue.chain();
            if (chain.writableLength() < EVENT_SIZE) {
                queue.complete(chain.head(), 0);
                continue;
            }
            event.clear();
            event.putInt(0, EVENT_TRANSPORT_RESET);
            chain.write(memory, 0, event);
            queue.complete(chain.head(), EVENT_SIZE);
            resetEventPending = false;
        }
        return false;
    }

    // --- host events ----------------------------------------------------------------------------

    private boolean responseOverdue() {
        Connection c = awaitingResponse.peekFirst();
        return c != null && (c.state != Connection.State.REQUESTED || System.nanoTime() - c.requestedAt >= 0);
    }

    private void drainHostEvents() {
        // a guest that never answers a host client's REQUEST would hold the client and a stream slot forever
        while (responseOverdue()) {
            Connection c = awaitingResponse.pollFirst();
            if (c.state == Connection.State.REQUESTED) {
                close(c, true);
            }
        }
        HostSide.Event e;
        int n = 0;
        while (n++ < MAX_CONNECTIONS && (e = host.poll()) != null) {
            if (e instanceof HostSide.Ready r) {
                ready(r.connection());
            } else if (e instanceof HostSide.Accepted a) {
                hostClient(a);
            }
        }
    }

    private void ready(Connection c) {
        int ops = c.ready.getAndSet(0);
        if (c.state == Connection.State.CLOSED || c.epoch != host.epoch()) { // closed, or dropped at a reset
            return;
        }
        if ((ops & SelectionKey.OP_CONNECT) != 0 && c.state == Connection.State.CONNECTING_HOST) {
            try {
                if (c.channel.finishConnect()) {
                    established(c);
                    queue(OP_RESPONSE, c, 0);
                } else {
                    interest(c, SelectionKey.OP_CONNECT);
                }
            } catch (IOException e) {
                close(c, true);
            }
            return;
        }
        if ((ops & SelectionKey.OP_READ) != 0) {
            c.readable = true;
            offerRx(c);
        }
        if ((ops & SelectionKey.OP_WRITE) != 0) {
            flush(c);
        }
    }

    /** A host client's CONNECT: REQUEST to the guest from a fresh host-side port. */
    private void hostClient(HostSide.Accepted a) {
        long left = a.deadline() - System.nanoTime();
        if (connections.size() >= MAX_CONNECTIONS || a.epoch() != host.epoch() || left <= 0) {
            closeQuietly(a.channel()); // no room, from before a driver reset, or waited too long already
            return;
        }
        int port = nextEphemeral;
        while (connections.containsKey(Connection.key(port, a.port()))) {
            port = port + 1 == 0 ? FIRST_EPHEMERAL_PORT : port + 1;
        }
        nextEphemeral = port + 1 == 0 ? FIRST_EPHEMERAL_PORT : port + 1;
        Connection c = new Connection(port, a.port(), a.channel(), Connection.State.REQUESTED, host.epoch());
        c.key = a.key();
        c.key.attach(c);
        connections.put(c.key(), c);
        queue(OP_REQUEST, c, 0);
        c.requestedAt = a.deadline();
        awaitingResponse.addLast(c);
        waker.wakeAfter(Duration.ofNanos(left));
    }

    // --- guest to host (tx) ---------------------------------------------------------------------

    private boolean transmit(VirtQueue queue) throws VirtQueueException {
        txStalled = false;
        txWaitsForBuffer = false;
        for (int packets = 0; packets < MAX_PACKETS; packets++) {
            if (control.size() >= MAX_CONTROL) {
                txStalled = true; // replies wait for rx buffers: take no more until they drain
                return false;
            }
            if (!txHeld) {
                if (!queue.next()) {
                    return false;
                }
                txHeld = true;
            }
            DescriptorChain chain = queue.chain();
            if (!packet(chain)) {
                txWaitsForBuffer = true; // the chain stays held; a freed buffer wakes us (hasWork)
                return false;
            }
            txHeld = false;
            queue.complete(chain.head(), 0);
        }
        return true;
    }

    /**
     * Handles one tx packet; false (with nothing changed) when it is data that needs a to-host
     * buffer the budget has no room for: the caller keeps the chain and tries again later.
     */
    private boolean packet(DescriptorChain chain) throws VirtQueueException {
        long readable = chain.readableLength();
        if (readable < VsockHeader.SIZE) {
            bad("a tx chain of " + readable + " readable bytes has no room for a header");
            return true;
        }
        header.clear();
        chain.read(memory, 0, header);
        header.flip();
        VsockHeader h = VsockHeader.read(header);
        if (h.srcCid() != guestCid || h.dstCid() != HOST_CID) {
            bad("a packet from CID " + h.srcCid() + " to CID " + h.dstCid() + " (the guest is " + guestCid + ")");
            return true;
        }
        long len = Integer.toUnsignedLong(h.len());
        if (h.type() != TYPE_STREAM || len > readable - VsockHeader.SIZE || len > MAX_PAYLOAD
                || (h.op() != OP_RW && len != 0)) {
            bad("a packet of type " + h.type() + ", " + VsockHeader.opName(h.op()) + ", len " + len + " in "
                    + readable + " bytes");
            Connection c = connections.get(Connection.key(h.dstPort(), h.srcPort()));
            if (c != null) {
                close(c, true);
            } else if (h.op() != OP_RST) {
                queue(new Control(OP_RST, h.dstPort(), h.srcPort(), 0, null));
            }
            return true;
        }
        Connection c = connections.get(Connection.key(h.dstPort(), h.srcPort()));
        if (c == null) {
            if (h.op() == OP_REQUEST) {
                guestConnect(h);
            } else if (h.op() != OP_RST) {
                queue(new Control(OP_RST, h.dstPort(), h.srcPort(), 0, null)); // §5.10.6.2: unknown connection
            }
            return true;
        }
        // every packet carries the sender's buffer space and progress (§5.10.6.3)
        c.peerBufAlloc = h.bufAlloc();
        c.peerFwdCnt = h.fwdCnt();
        switch (h.op()) {
            case OP_RESPONSE -> {
                if (c.state != Connection.State.REQUESTED) {
                    close(c, true);
                    return true;
                }
                answerClient(c);
            }
            case OP_RST -> close(c, false);
            case OP_SHUTDOWN -> {
                if (c.state != Connection.State.ESTABLISHED) {
                    // §5.10.6.5 shuts down a connected stream; one not established yet (a host
                    // client's REQUEST unanswered, our connect in progress) is refused: RST, and
                    // the host socket is closed whole instead of half-shut before its OK line
                    close(c, true);
                    return true;
                }
                c.peerShutdown |= h.flags() & SHUTDOWN_BOTH;
                shutdown(c);
            }
            case OP_RW -> {
                if (c.state != Connection.State.ESTABLISHED || (c.peerShutdown & SHUTDOWN_SEND) != 0) {
                    close(c, true);
                    return true;
                }
                if (c.pendingToHost() + len > BUF_ALLOC) {
                    bad(c + ": the guest sent " + len + " bytes beyond its credit");
                    close(c, true);
                    return true;
                }
                if (len > 0 && c.pending == null && !mayBuffer()) {
                    return false; // the socket might not take it all, and there is no room to keep the rest
                }
                toHost(c, chain, (int) len);
            }
            case OP_CREDIT_UPDATE -> {
                // the fields above are the update
            }
            case OP_CREDIT_REQUEST -> creditUpdate(c);
            default -> close(c, true); // REQUEST on a live connection, or an unknown op
        }
        if (c.state == Connection.State.ESTABLISHED) {
            offerRx(c); // the guest's credit may have grown
        }
        return true;
    }

    /** The guest's REQUEST: connect to {@code PATH_port} without blocking; RESPONSE or RST follows. */
    private void guestConnect(VsockHeader h) {
        if (connections.size() >= MAX_CONNECTIONS) {
            queue(new Control(OP_RST, h.dstPort(), h.srcPort(), 0, null));
            return;
        }
        SocketChannel ch = null;
        try {
            ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            ch.configureBlocking(false);
            boolean done = ch.connect(UnixDomainSocketAddress.of(udsPath + "_" + Integer.toUnsignedString(h.dstPort())));
            Connection c = new Connection(h.dstPort(), h.srcPort(), ch, Connection.State.CONNECTING_HOST, host.epoch());
            c.peerBufAlloc = h.bufAlloc();
            c.peerFwdCnt = h.fwdCnt();
            c.key = ch.register(host.selector(), done ? 0 : SelectionKey.OP_CONNECT, c);
            host.selector().wakeup();
            connections.put(c.key(), c);
            if (done) {
                established(c);
                queue(OP_RESPONSE, c, 0);
            }
        } catch (IOException | RuntimeException e) {
            closeQuietly(ch);
            queue(new Control(OP_RST, h.dstPort(), h.srcPort(), 0, null)); // no listener at PATH_port
        }
    }

    private void established(Connection c) {
        c.state = Connection.State.ESTABLISHED;
        interest(c, SelectionKey.OP_READ);
    }

    /** The guest accepted a host client's connection: tell the client {@code OK <host port>}. */
    private void answerClient(Connection c) {
        ByteBuffer ok = ByteBuffer.wrap(("OK " + Integer.toUnsignedString(c.hostPort) + "\n")
                .getBytes(StandardCharsets.US_ASCII));
        try {
            c.channel.write(ok); // a new socket's empty send buffer takes a short line whole
        } catch (IOException e) {
            close(c, true);
            return;
        }
        if (ok.hasRemaining()) {
            close(c, true);
            return;
        }
        awaitingResponse.remove(c); // answered: the timer no longer holds it
        established(c);
    }

    private void toHost(Connection c, DescriptorChain chain, int len) throws VirtQueueException {
        if (len == 0) {
            return;
        }
        c.rxCnt += len;
        if (c.pendingToHost() == 0) {
            txData.clear().limit(len);
            chain.read(memory, VsockHeader.SIZE, txData);
            txData.flip();
            try {
                c.fwdCnt += c.channel.write(txData);
            } catch (IOException e) {
                close(c, true); // the host peer is gone
                return;
            }
            if (txData.hasRemaining()) {
                if (c.pending == null) {
                    // on the heap: the JDK's per-thread direct buffer carries it to the socket, and
                    // the budget bounds the heap it takes (packet() checked mayBuffer())
                    c.pending = ByteBuffer.allocate(BUF_ALLOC);
                    bufferedBytes += BUF_ALLOC;
                }
                c.pending.put(txData);
                interest(c, SelectionKey.OP_WRITE);
            }
        } else {
            int end = c.pending.position() + len;
            c.pending.limit(end);
            chain.read(memory, VsockHeader.SIZE, c.pending);
            c.pending.limit(c.pending.capacity());
        }
        maybeCreditUpdate(c);
    }

    /** The socket has room: write what waits for it, then apply a shutdown that waited for it. */
    private void flush(Connection c) {
        if (c.pendingToHost() > 0) {
            c.pending.flip();
            try {
                c.fwdCnt += c.channel.write(c.pending);
            } catch (IOException e) {
                close(c, true);
                return;
            } finally {
                c.pending.compact();
            }
            if (c.pendingToHost() > 0) {
                interest(c, SelectionKey.OP_WRITE);
            } else {
                releasePending(c); // drained: the budget goes to whichever stream needs it next
            }
            maybeCreditUpdate(c);
        }
        shutdown(c);
    }

    /** Applies the guest's SHUTDOWN flags once the data it sent before them reached the socket. */
    private void shutdown(Connection c) {
        if (c.state == Connection.State.CLOSED || c.pendingToHost() > 0) {
            return;
        }
        if (c.peerShutdown == SHUTDOWN_BOTH || ((c.peerShutdown & SHUTDOWN_SEND) != 0 && c.hostEof)) {
            close(c, true); // nothing more either way: close the host socket, RST ends it for the guest
            return;
        }
        if ((c.peerShutdown & SHUTDOWN_SEND) != 0 && !c.outputShut) {
            c.outputShut = true;
            try {
                c.channel.shutdownOutput(); // the host peer reads EOF
            } catch (IOException e) {
                close(c, true);
            }
        }
    }

    private boolean mayBuffer() {
        return bufferedBytes + BUF_ALLOC <= maxBuffered;
    }

    private void releasePending(Connection c) {
        if (c.pending != null) {
            c.pending = null;
            bufferedBytes -= BUF_ALLOC;
            if (txWaitsForBuffer) {
                waker.wake(); // hasWork(TX) now says so
            }
        }
    }

    private void maybeCreditUpdate(Connection c) {
        if (c.fwdCnt - c.advertisedFwdCnt >= BUF_ALLOC / 4) {
            creditUpdate(c);
        }
    }

    private void creditUpdate(Connection c) {
        if (!c.creditUpdateQueued) {
            c.creditUpdateQueued = true;
            queue(OP_CREDIT_UPDATE, c, 0);
        }
    }

    // --- host to guest (rx) ---------------------------------------------------------------------

    private boolean receive(VirtQueue queue) throws VirtQueueException {
        int budget = MAX_BYTES;
        for (int packets = 0; packets < MAX_PACKETS; packets++) {
            Control next = control.peekFirst();
            Connection data = null;
            if (next != null && next.connection() != null && next.connection().state == Connection.State.CLOSED
                    && next.op() != OP_RST) {
                control.pollFirst(); // a reply for a connection gone meanwhile
                continue;
            }
            if (next == null) {
                data = nextReadable();
                if (data == null) {
                    return false;
                }
            }
            if (!rxHeld) {
                if (!queue.next()) {
                    return false; // no buffers: host data stays in its sockets
                }
                rxHeld = true;
            }
            DescriptorChain chain = queue.chain();
            long room = chain.writableLength();
            if (room < VsockHeader.SIZE) {
                rxHeld = false;
                queue.complete(chain.head(), 0); // too small for a header: return it unused
                continue;
            }
            if (next != null) {
                control.pollFirst();
                Connection c = next.connection();
                if (next.op() == OP_CREDIT_UPDATE && c != null) {
                    c.creditUpdateQueued = false;
                }
                writeHeader(chain, next.hostPort(), next.guestPort(), 0, next.op(), next.flags(), c);
                rxHeld = false;
                queue.complete(chain.head(), VsockHeader.SIZE);
                continue;
            }
            int want = (int) Math.min(Math.min(room - VsockHeader.SIZE, MAX_PAYLOAD), Math.min(data.credit(), budget));
            if (want <= 0) {
                rxHeld = false;
                queue.complete(chain.head(), 0); // a bare header's room carries no data: return it unused
                continue;
            }
            rxData.clear().limit(want);
            int n;
            try {
                n = data.channel.read(rxData);
            } catch (IOException e) {
                rxQueueRemove(data);
                close(data, true); // the host peer failed
                continue;
            }
            if (n == 0) {
                rxQueueRemove(data);
                data.readable = false;
                interest(data, SelectionKey.OP_READ); // the chain stays held for the next data
                continue;
            }
            if (n < 0) {
                rxQueueRemove(data);
                data.readable = false;
                data.hostEof = true;
                queue(OP_SHUTDOWN, data, SHUTDOWN_SEND); // §5.10.6.4: the host sends no more
                shutdown(data);
                continue;
            }
            rxData.flip();
            chain.write(memory, VsockHeader.SIZE, rxData);
            writeHeader(chain, data.hostPort, data.guestPort, n, OP_RW, 0, data);
            data.txCnt += n;
            rxHeld = false;
            queue.complete(chain.head(), VsockHeader.SIZE + n);
            rxQueueRemove(data);
            offerRx(data); // to the back: streams take turns
            budget -= n;
            if (budget <= 0) {
                return true;
            }
        }
        return true;
    }

    /** The first connection in the rx queue that may send now; drops those that may not. */
    private Connection nextReadable() {
        Connection c;
        while ((c = rxReady.peekFirst()) != null) {
            if (mayRead(c)) {
                return c;
            }
            rxReady.pollFirst();
            c.queuedForRx = false; // back when credit, a buffer's worth of readiness or a state change arrives
        }
        return null;
    }

    private static boolean mayRead(Connection c) {
        return c.state == Connection.State.ESTABLISHED && c.readable && !c.hostEof
                && (c.peerShutdown & SHUTDOWN_RECEIVE) == 0 && c.credit() > 0;
    }

    private void offerRx(Connection c) {
        if (!c.queuedForRx && mayRead(c)) {
            c.queuedForRx = true;
            rxReady.addLast(c);
        }
    }

    private void rxQueueRemove(Connection c) {
        if (c.queuedForRx) {
            rxReady.remove(c);
            c.queuedForRx = false;
        }
    }

    private void writeHeader(DescriptorChain chain, int hostPort, int guestPort, int len, int op, int flags,
            Connection c) throws VirtQueueException {
        int fwd = 0;
        int bufAlloc = 0;
        if (c != null && op != OP_RST) {
            fwd = c.fwdCnt;
            bufAlloc = BUF_ALLOC;
            c.advertisedFwdCnt = fwd;
        }
        header.clear();
        new VsockHeader(HOST_CID, guestCid, hostPort, guestPort, len, TYPE_STREAM, op, flags, bufAlloc, fwd)
                .write(header);
        header.flip();
        chain.write(memory, 0, header);
    }

    // --- bookkeeping ----------------------------------------------------------------------------

    private void queue(int op, Connection c, int flags) {
        queue(new Control(op, c.hostPort, c.guestPort, flags, c));
    }

    private void queue(Control c) {
        control.addLast(c);
    }

    private void interest(Connection c, int op) {
        try {
            c.key.interestOpsOr(op);
            host.selector().wakeup();
        } catch (java.nio.channels.CancelledKeyException e) {
            close(c, true);
        }
    }

    /** Closes the host socket and forgets the connection; {@code rst}: tell the guest (§5.10.6.2). */
    private void close(Connection c, boolean rst) {
        if (c.state == Connection.State.CLOSED) {
            return;
        }
        if (c.state == Connection.State.REQUESTED) {
            awaitingResponse.remove(c);
        }
        c.state = Connection.State.CLOSED;
        connections.remove(c.key());
        rxQueueRemove(c);
        releasePending(c);
        closeQuietly(c.channel);
        host.selector().wakeup();
        if (rst) {
            queue(new Control(OP_RST, c.hostPort, c.guestPort, 0, null));
        }
    }

    private static void closeQuietly(SocketChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // nothing to do for a socket we give up on
            }
        }
    }

    private void bad(String what) {
        long s = badPacketLog.tryAcquire();
        if (s != LogRateLimiter.SUPPRESSED) {
            LOG.log(System.Logger.Level.DEBUG, "{0}: dropped/answered with RST: {1}{2}", name, what,
                    LogRateLimiter.suppressedNote(s));
        }
    }

    /** Bytes of to-host buffers allocated now (tests). */
    long bufferedBytes() {
        return bufferedBytes;
    }

    /** Host clients' connections the response timer still holds (tests). */
    int awaitingResponseCount() {
        return awaitingResponse.size();
    }

    /** Connections open now (tests). */
    int connectionCount() {
        return connections.size();
    }

    @Override
    public int heldChains(int queue) {
        return switch (queue) {
            case RX -> rxHeld ? 1 : 0;
            case TX -> txHeld ? 1 : 0;
            default -> 0;
        };
    }

    @Override
    public Optional<SavedStateBlob> saveState() {
        return Optional.of(VsockState.FORMAT.save(new VsockState(guestCid)));
    }

    /**
     * Starts the restored device without streams: the snapshot's belong to the old process, and the
     * guest hears so through TRANSPORT_RESET. A changed guest CID is fine: the driver re-reads it
     * on that event.
     */
    @Override
    public void restoreState(SavedStateBlob state) {
        VsockState s = VsockState.FORMAT.restore(state);
        if (s.guestCid() != guestCid) {
            LOG.log(System.Logger.Level.INFO, "{0}: guest CID {1} (was {2} when the snapshot was taken); the guest "
                    + "reads the new one on the transport reset", name, Long.toString(guestCid),
                    Long.toString(s.guestCid()));
        }
        forgetStreams();
        resetEventPending = true;
    }

    @Override
    public void reset() {
        forgetStreams();
        resetEventPending = false; // a new driver has no connections to drop
    }

    private void forgetStreams() {
        // §2.4: the rings are gone and with them every stream. This runs on the vCPU thread that
        // wrote the status, so it only forgets: the host side's thread closes the sockets of the
        // streams of the old epoch (and the host clients still waiting), and ready() ignores them.
        host.driverReset();
        connections.clear();
        control.clear();
        rxReady.clear();
        awaitingResponse.clear();
        rxHeld = false;
        txStalled = false;
        txHeld = false;
        txWaitsForBuffer = false;
        bufferedBytes = 0;
        nextEphemeral = FIRST_EPHEMERAL_PORT;
    }

    @Override
    public void close() throws IOException {
        for (Connection c : new ArrayList<>(connections.values())) {
            close(c, false);
        }
        control.clear();
        host.stop();
    }
}
