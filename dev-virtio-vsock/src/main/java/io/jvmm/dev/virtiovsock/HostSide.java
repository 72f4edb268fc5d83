package io.jvmm.dev.virtiovsock;

import io.jvmm.api.device.DeviceWaker;
import io.jvmm.api.support.LogRateLimiter;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The host side's one thread: a selector over the listening socket at {@code PATH}, the host
 * clients still sending their {@code CONNECT <port>\n} line, and the device's connections, whose
 * readiness it only reports (the device thread does their non-blocking reads and writes). A
 * reported op is removed from the key's interest until the device asks for it again, so a socket
 * whose data waits for guest buffers or credit does not spin the selector.
 */
final class HostSide implements Runnable {
    private static final System.Logger LOG = System.getLogger(HostSide.class.getName());
    /** A host client must finish its CONNECT line within this time. */
    static final long HANDSHAKE_MILLIS = 5_000;
    /** Longest accepted CONNECT line ("CONNECT 4294967295\r\n" is 20 bytes). */
    static final int MAX_LINE = 32;
    /** Host clients in the handshake at once; more are closed at once. */
    static final int MAX_HANDSHAKES = 64;
    /**
     * Host clients that sent CONNECT and wait for the device to take them; more are closed at
     * once. The device takes them only while the driver runs, so a client retrying while the
     * guest boots must not pile up file descriptors.
     */
    static final int MAX_ACCEPTED = 64;
    /** How long accepting pauses after the listener failed (EMFILE, ENOMEM). */
    static final long ACCEPT_BACKOFF_MILLIS = 100;

    /** What the selector thread tells the device. */
    sealed interface Event permits Ready, Accepted {}

    /** A connection's socket is ready for ops the device asked for (in {@link Connection#ready}). */
    record Ready(Connection connection) implements Event {}

    /**
     * A host client asked for guest port {@code port}; its key has no interest and no attachment
     * yet. {@code deadline} (System.nanoTime) is when the guest's RESPONSE must have come,
     * counted from the CONNECT line; {@code epoch} is the driver's {@link #epoch()} then.
     */
    record Accepted(SocketChannel channel, SelectionKey key, int port, long deadline, int epoch) implements Event {}

    private static final class Handshake {
        final SocketChannel channel;
        final long deadline;
        final byte[] line = new byte[MAX_LINE];
        int length;
        SelectionKey key;

        Handshake(SocketChannel channel, long deadline) {
            this.channel = channel;
            this.deadline = deadline;
        }
    }

    private final Path path;
    private final Selector selector;
    private final ServerSocketChannel listener;
    private final Queue<Event> inbox = new ConcurrentLinkedQueue<>();
    /** Host clients waiting for the device; whoever removes one (device or expiry) closes or serves it. */
    private final Queue<Accepted> accepted = new ConcurrentLinkedQueue<>();
    private final AtomicInteger acceptedCount = new AtomicInteger();
    private final LogRateLimiter refusedLog = new LogRateLimiter(5);
    private final Duration responseTimeout;
    /** Bumped by each driver reset; clients and streams from an older epoch are closed here. */
    private volatile int epoch;
    /** The epoch whose older streams the selector thread has closed. */
    private int epochClosed;
    private final DeviceWaker waker;
    /** Clients in the handshake: the selector thread's, but concurrent so stop() may close them if that thread hangs. */
    private final java.util.Set<Handshake> handshakes = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final ByteBuffer oneByte = ByteBuffer.allocate(1);
    private volatile boolean running = true;
    private final LogRateLimiter loopErrorLog = new LogRateLimiter(5);
    /** Accepts one client from the listener (a seam for tests of accept failures). */
    interface Acceptor {
        SocketChannel accept() throws IOException;
    }

    private final Acceptor acceptor;
    private final SelectionKey listenerKey;
    /** While accepting is paused after an error: when to resume (System.currentTimeMillis), else 0. */
    private long acceptPausedUntil;
    private Thread thread;

    private HostSide(Path path, Selector selector, ServerSocketChannel listener, SelectionKey listenerKey,
            DeviceWaker waker, Duration responseTimeout, Acceptor acceptor) {
        this.path = path;
        this.selector = selector;
        this.listener = listener;
        this.listenerKey = listenerKey;
        this.acceptor = acceptor != null ? acceptor : listener::accept;
        this.waker = waker;
        this.responseTimeout = responseTimeout;
    }

    /**
     * Listens at {@code path}: a socket file nothing listens on (left by a VMM that died) is
     * removed first; a live listener or any other kind of file is an error naming it.
     */
    static HostSide listen(Path path, DeviceWaker waker) throws IOException {
        return listen(path, waker, VirtioVsock.RESPONSE_TIMEOUT);
    }

    /** As {@link #listen(Path, DeviceWaker)}; a host client's CONNECT must be answered within {@code responseTimeout}. */
    static HostSide listen(Path path, DeviceWaker waker, Duration responseTimeout) throws IOException {
        return listen(path, waker, responseTimeout, null);
    }

    /** As above; {@code acceptor} (tests), given the listener, takes its clients instead of its own accept. */
    static HostSide listen(Path path, DeviceWaker waker, Duration responseTimeout,
            java.util.function.Function<ServerSocketChannel, Acceptor> acceptor) throws IOException {
        removeStaleSocket(path);
        Selector selector = Selector.open();
        ServerSocketChannel listener = null;
        try {
            listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            listener.bind(UnixDomainSocketAddress.of(path), 64);
            listener.configureBlocking(false);
            SelectionKey key = listener.register(selector, SelectionKey.OP_ACCEPT);
            return new HostSide(path, selector, listener, key, waker, responseTimeout,
                    acceptor == null ? null : acceptor.apply(listener));
        } catch (IOException | RuntimeException e) {
            if (listener != null) {
                listener.close();
            }
            selector.close();
            throw new IOException("cannot listen on " + path + ": " + e.getMessage()
                    + (Files.isDirectory(path.toAbsolutePath().getParent()) ? "" : " (its directory does not exist)"), e);
        }
    }

    /** The file-type bits of st_mode and the socket type (POSIX {@code S_IFMT}, {@code S_IFSOCK}). */
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;

    /**
     * Removes {@code path} only if it is a socket file (not a FIFO, a device node or a link) that
     * refuses connections: a socket left by a VMM that died. Anything else is an error naming the
     * path; so is a file whose type this JDK cannot tell.
     */
    private static void removeStaleSocket(Path path) throws IOException {
        int mode;
        try {
            mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        } catch (java.nio.file.NoSuchFileException e) {
            return;
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            throw new IOException(path + " exists and this platform cannot tell whether it is a socket;"
                    + " remove it yourself or give a path that is free");
        }
        if ((mode & S_IFMT) != S_IFSOCK) {
            throw new IOException(path + " exists and is not a socket; give a path that is free");
        }
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.configureBlocking(false); // a listener with a full backlog must not hang us
            probe.connect(UnixDomainSocketAddress.of(path)); // true, or false while its backlog is full
        } catch (java.net.ConnectException e) {
            if (!"Connection refused".equals(e.getMessage())) {
                throw new IOException("cannot tell whether something listens on " + path + " (" + e.getMessage()
                        + "); remove it yourself or give another uds path", e);
            }
            Files.deleteIfExists(path); // a socket file nobody listens on: stale
            return;
        } catch (IOException e) {
            throw new IOException("cannot tell whether something listens on " + path + " (" + e.getMessage()
                    + "); remove it yourself or give another uds path", e);
        }
        throw new IOException("something already listens on " + path
                + " (another VM?); stop it or give another uds path");
    }

    void start(String name) {
        thread = new Thread(this, name + "-uds");
        thread.setDaemon(true);
        thread.start();
    }

    Selector selector() {
        return selector;
    }

    /** The next event for the device (readiness first, then host clients), or null. */
    Event poll() {
        Event e = inbox.poll();
        if (e != null) {
            return e;
        }
        Accepted a = accepted.poll();
        if (a != null) {
            acceptedCount.decrementAndGet();
        }
        return a;
    }

    boolean hasEvents() {
        return !inbox.isEmpty() || !accepted.isEmpty();
    }

    /** The driver's generation: {@link #driverReset()} bumps it. */
    int epoch() {
        return epoch;
    }

    /**
     * The driver reset the device: the selector thread closes the host sockets of every stream
     * from before (the device has forgotten them) and the host clients still waiting for the
     * device (the guest never heard of them). Cheap: it only marks and wakes, so the vCPU thread
     * that wrote the status does no socket work.
     */
    void driverReset() {
        epoch++; // only the device's thread writes it (under the device's lock)
        selector.wakeup();
    }

    /** Host clients waiting for the device (tests). */
    int acceptedCount() {
        return acceptedCount.get();
    }

    /**
     * The selector loop. It must outlive any one socket's failure (every stream's readiness comes
     * through it): an error on one key is logged (rate-limited) and the loop goes on; a failing
     * accept (EMFILE, ENOMEM) pauses accepting for {@link #ACCEPT_BACKOFF_MILLIS}, since the
     * listener stays ready and would otherwise spin the loop. Only {@link #stop()} ends it.
     */
    @Override
    public void run() {
        while (running) {
            try {
                long now = System.currentTimeMillis();
                if (acceptPausedUntil != 0 && now >= acceptPausedUntil) {
                    acceptPausedUntil = 0;
                    listenerKey.interestOps(SelectionKey.OP_ACCEPT);
                }
                selector.select(acceptPausedUntil == 0 ? 500 : Math.max(1, Math.min(500, acceptPausedUntil - now)));
            } catch (java.nio.channels.ClosedSelectorException e) {
                return; // stop() gave up waiting for us and closed it
            } catch (IOException | RuntimeException e) {
                loopError("select", e);
                pause();
                continue;
            }
            Iterator<SelectionKey> it = selector.selectedKeys().iterator();
            while (it.hasNext()) {
                SelectionKey key = it.next();
                it.remove();
                try {
                    dispatch(key);
                } catch (java.nio.channels.CancelledKeyException e) {
                    // the device closed the connection meanwhile
                } catch (IOException | RuntimeException e) {
                    if (key.channel() == listener) {
                        loopError("accept", e);
                        acceptPausedUntil = System.currentTimeMillis() + ACCEPT_BACKOFF_MILLIS;
                        listenerKey.interestOps(0);
                    } else {
                        loopError("a host socket", e);
                        if (key.attachment() instanceof Handshake h) {
                            drop(h);
                        }
                    }
                }
            }
            expireHandshakes();
            expireAccepted();
        }
    }

    private void loopError(String what, Exception e) {
        long s = loopErrorLog.tryAcquire();
        if (s != LogRateLimiter.SUPPRESSED) {
            LOG.log(System.Logger.Level.WARNING, "vsock host side at {0}: {1} failed: {2}; going on{3}", path, what,
                    e.toString(), LogRateLimiter.suppressedNote(s));
        }
    }

    private static void pause() {
        try {
            Thread.sleep(ACCEPT_BACKOFF_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void dispatch(SelectionKey key) throws IOException {
        Object a = key.attachment();
        if (key.channel() == listener) {
            accept();
        } else if (a instanceof Handshake h) {
            readLine(h);
        } else if (a instanceof Connection c) {
            int ops = key.readyOps();
            key.interestOpsAnd(~ops); // until the device asks again
            c.ready.getAndAccumulate(ops, (x, y) -> x | y);
            inbox.add(new Ready(c));
            waker.wake();
        }
    }

    /** Accepts up to 16 clients; an error of the listener itself is thrown (the loop backs off). */
    private void accept() throws IOException {
        for (int i = 0; i < 16; i++) {
            SocketChannel client = acceptor.accept();
            if (client == null) {
                return;
            }
            if (handshakes.size() >= MAX_HANDSHAKES) {
                closeQuietly(client);
                continue;
            }
            try {
                client.configureBlocking(false);
                Handshake h = new Handshake(client, System.currentTimeMillis() + HANDSHAKE_MILLIS);
                h.key = client.register(selector, SelectionKey.OP_READ, h);
                handshakes.add(h);
            } catch (IOException | RuntimeException e) {
                closeQuietly(client); // this client only
                loopError("setting up a host client", e);
            }
        }
    }

    /** Reads the CONNECT line a byte at a time, so no byte of the stream after it is taken here. */
    private void readLine(Handshake h) {
        try {
            while (true) {
                oneByte.clear();
                int n = h.channel.read(oneByte);
                if (n == 0) {
                    return;
                }
                if (n < 0 || h.length == MAX_LINE) {
                    drop(h);
                    return;
                }
                byte b = oneByte.get(0);
                if (b == '\n') {
                    break;
                }
                h.line[h.length++] = b;
            }
        } catch (IOException e) {
            drop(h);
            return;
        }
        long port = parseConnect(new String(h.line, 0, h.length, StandardCharsets.US_ASCII));
        if (port < 0) {
            drop(h);
            return;
        }
        handshakes.remove(h);
        if (acceptedCount.get() >= MAX_ACCEPTED) {
            long s = refusedLog.tryAcquire();
            if (s != LogRateLimiter.SUPPRESSED) {
                // MessageFormat: '' is one apostrophe; a lone ' would quote the {1}..{3} that follow
                LOG.log(System.Logger.Level.WARNING, "vsock at {0}: closed a host client''s CONNECT {1}: {2} clients"
                        + " already wait for the guest (is its virtio-vsock driver running?){3}", path,
                        Long.toString(port), MAX_ACCEPTED, LogRateLimiter.suppressedNote(s));
            }
            drop(h);
            return;
        }
        h.key.interestOps(0);
        h.key.attach(null);
        acceptedCount.incrementAndGet();
        accepted.add(new Accepted(h.channel, h.key, (int) port, System.nanoTime() + responseTimeout.toNanos(), epoch));
        waker.wake();
    }

    /**
     * Closes the host clients the device has not taken by their deadline (its driver is not
     * running) or from before a driver reset.
     */
    private void expireAccepted() {
        int now = epoch;
        if (now != epochClosed) {
            epochClosed = now;
            for (SelectionKey k : selector.keys()) {
                if (k.attachment() instanceof Connection c && c.epoch != now) {
                    closeQuietly(k.channel()); // a stream the device dropped at the driver's reset
                }
            }
        }
        long t = System.nanoTime();
        for (Accepted a : accepted) {
            if ((a.epoch() != now || t - a.deadline() >= 0) && accepted.remove(a)) {
                acceptedCount.decrementAndGet();
                closeQuietly(a.channel());
            }
        }
    }

    static void closeQuietly(java.nio.channels.Channel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // nothing to do for a socket we give up on
            }
        }
    }

    /** The port of {@code CONNECT <port>} (an optional trailing CR allowed), or -1 when malformed. */
    static long parseConnect(String line) {
        String s = line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
        if (!s.startsWith("CONNECT ")) {
            return -1;
        }
        String digits = s.substring(8);
        if (digits.isEmpty() || digits.length() > 10 || !digits.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
            return -1;
        }
        long port = Long.parseLong(digits);
        return port > 0xFFFF_FFFFL ? -1 : port;
    }

    private void expireHandshakes() {
        long now = System.currentTimeMillis();
        for (Handshake h : handshakes) {
            if (now >= h.deadline) {
                drop(h);
            }
        }
    }

    private void drop(Handshake h) {
        handshakes.remove(h);
        try {
            h.channel.close();
        } catch (IOException ignored) {
            // closing a client we give up on
        }
    }

    /** Stops the thread and waits for it, closes the listener and the clients in the handshake, removes {@code PATH}. */
    synchronized void stop() throws IOException {
        if (!selector.isOpen()) {
            return; // stopped already (a second close)
        }
        running = false;
        selector.wakeup();
        if (thread != null) {
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (Handshake h : handshakes) { // a concurrent set: safe even if the thread did not stop
            closeQuietly(h.channel);
        }
        handshakes.clear();
        if (thread == null || !thread.isAlive()) {
            // streams the device dropped at a reset whose sockets the thread had not closed yet
            for (SelectionKey k : selector.keys()) {
                if (k.attachment() instanceof Connection) {
                    closeQuietly(k.channel());
                }
            }
        } else {
            LOG.log(System.Logger.Level.WARNING, "vsock host side at {0}: its thread did not stop in 10 s", path);
        }
        Accepted a;
        while ((a = accepted.poll()) != null) {
            closeQuietly(a.channel());
        }
        inbox.clear();
        closeQuietly(listener);
        selector.close();
        Files.deleteIfExists(path);
    }
}
