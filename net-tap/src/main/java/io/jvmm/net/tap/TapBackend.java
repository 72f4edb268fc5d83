package io.jvmm.net.tap;

import static io.jvmm.net.tap.TunLibC.EAGAIN;
import static io.jvmm.net.tap.TunLibC.EINTR;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import io.jvmm.api.net.NetBackend;
import io.jvmm.api.net.NetBackendListener;
import io.jvmm.api.net.NetOffload;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * A {@link NetBackend} on a Linux TAP interface: {@code /dev/net/tun} opened non-blocking with
 * {@code IFF_TAP | IFF_NO_PI | IFF_VNET_HDR} and a 12-byte vnet header ({@code TUNSETVNETHDRSZ}),
 * which is the {@code virtio_net_hdr_v1} layout, so frames go through {@code readv}/{@code writev}
 * as the device hands them.
 *
 * <p>One poller thread per backend waits in {@code poll(2)} for the directions the device found
 * blocked (a {@link #receive} that found nothing, a {@link #send} that got EAGAIN) and for an
 * eventfd that re-arms or stops it, and tells the listener; so nothing spins while the guest is idle
 * or has posted no receive buffers (the kernel then keeps, and past its queue length drops, frames
 * for the guest, as it does for any TAP reader that falls behind).
 *
 * <p>When the interface goes away under it ({@code ip link del}) the TAP descriptor is detached:
 * {@code poll} reports POLLERR on it for ever and {@code readv}/{@code writev} fail with EBADFD. The
 * poller then stops watching it (or it would spin), logs it once and tells the listener both ways,
 * and {@link #receive}/{@link #send} throw {@link ClosedChannelException} from then on: a failure
 * for good, which the device does not retry.
 */
final class TapBackend implements NetBackend {
    private static final System.Logger LOG = System.getLogger(TapBackend.class.getName());
    static final Path TUN = Path.of("/dev/net/tun");

    private final String name;
    private final int fd;
    private final int wakeFd;
    private final Set<NetOffload> offloads;
    private final Thread poller;
    /** Native iovec arrays, one per direction (the device calls each under its lock). */
    private final Memory rxIov = new Memory((long) TunLibC.IOVEC_SIZE * TunLibC.IOV_MAX);
    private final Memory txIov = new Memory((long) TunLibC.IOVEC_SIZE * TunLibC.IOV_MAX);
    private final Memory one = new Memory(8);
    /** Frames in heap buffers or too many pieces go through these. */
    private ByteBuffer rxBounce;
    private ByteBuffer txBounce;

    private volatile NetBackendListener listener;
    private volatile boolean wantRead;
    private volatile boolean wantWrite;
    private volatile boolean closed;
    /** Why the TAP descriptor stopped working (the interface was deleted); null while it works. */
    private volatile String broken;
    private final Object closeLock = new Object();
    private boolean fdsClosed;

    private TapBackend(String name, int fd, int wakeFd, Set<NetOffload> offloads) {
        this.name = name;
        this.fd = fd;
        this.wakeFd = wakeFd;
        this.offloads = offloads;
        one.setLong(0, 1);
        poller = new Thread(this::pollLoop, "tap-" + name);
        poller.setDaemon(true);
    }

    /** A failure to open the TAP, with a message for the user (what and how to fix it). */
    static final class TapException extends Exception {
        TapException(String message) {
            super(message);
        }
    }

    /**
     * Attaches to the TAP interface {@code ifname}, creating it (non-persistent: it vanishes when
     * this backend closes) if there is none.
     */
    static TapBackend open(String ifname) throws TapException {
        if (!Files.exists(TUN)) {
            throw new TapException("TAP " + ifname + ": " + TUN + " does not exist; load the tun module "
                    + "(modprobe tun) or, in a container, pass the device in (--device /dev/net/tun)");
        }
        boolean existed = TunLibC.if_nametoindex(ifname) != 0; // in this thread's namespace (sysfs may show another)
        int fd = TunLibC.open(TUN.toString(), TunLibC.O_RDWR | TunLibC.O_NONBLOCK | TunLibC.O_CLOEXEC);
        if (fd < 0) {
            int e = TunLibC.errno();
            throw new TapException("TAP " + ifname + ": cannot open " + TUN + ": " + TunLibC.describe(e)
                    + (e == TunLibC.EACCES || e == TunLibC.EPERM
                            ? "; give your user access to it (e.g. the kvm or netdev group) or run as root"
                            : "; is the tun module loaded (modprobe tun)?"));
        }
        int wake = -1;
        try {
            try (Memory ifr = new Memory(TunLibC.IFREQ_SIZE)) {
                ifr.clear();
                byte[] n = ifname.getBytes(StandardCharsets.US_ASCII);
                ifr.write(0, n, 0, Math.min(n.length, TunLibC.IFNAMSIZ - 1));
                ifr.setShort(TunLibC.IFREQ_FLAGS, (short) (TunLibC.IFF_TAP | TunLibC.IFF_NO_PI | TunLibC.IFF_VNET_HDR));
                if (TunLibC.ioctl(fd, TunLibC.TUNSETIFF, Pointer.nativeValue(ifr)) < 0) {
                    throw new TapException(setIffProblem(ifname, existed, TunLibC.errno()));
                }
            }
            try (Memory size = new Memory(4)) {
                size.setInt(0, HEADER_LENGTH);
                if (TunLibC.ioctl(fd, TunLibC.TUNSETVNETHDRSZ, Pointer.nativeValue(size)) < 0) {
                    throw new TapException("TAP " + ifname + ": the kernel refused a " + HEADER_LENGTH
                            + "-byte vnet header: " + TunLibC.describe(TunLibC.errno()));
                }
            }
            Set<NetOffload> offloads = probeOffloads(fd);
            wake = TunLibC.eventfd(0, TunLibC.EFD_CLOEXEC | TunLibC.EFD_NONBLOCK);
            if (wake < 0) {
                throw new TapException("TAP " + ifname + ": eventfd: " + TunLibC.describe(TunLibC.errno()));
            }
            TapBackend b = new TapBackend(ifname, fd, wake, offloads);
            b.poller.start();
            LOG.log(System.Logger.Level.DEBUG, "{0} TAP {1}, offloads {2}", existed ? "attached to" : "created",
                    ifname, offloads);
            return b;
        } catch (TapException | RuntimeException e) {
            TunLibC.close(fd);
            if (wake >= 0) {
                TunLibC.close(wake);
            }
            throw e;
        }
    }

    /** The message for a failed TUNSETIFF. */
    static String setIffProblem(String ifname, boolean existed, int errno) {
        String what = "TAP " + ifname + ": cannot " + (existed ? "attach to it" : "create it") + ": "
                + TunLibC.describe(errno);
        String user = System.getProperty("user.name", "USER");
        if (errno == TunLibC.EPERM || errno == TunLibC.EACCES) {
            return what + "; run as root (or with CAP_NET_ADMIN), or create it for your user first: "
                    + "ip tuntap add " + ifname + " mode tap user " + user;
        }
        if (errno == TunLibC.EBUSY) {
            return what + "; another process has it open (a TAP without multi_queue serves one reader): "
                    + "stop that process or pick another interface";
        }
        if (errno == TunLibC.EINVAL) {
            return what + "; an interface of that name exists and is not a single-queue TAP "
                    + "(a TUN, a multi_queue TAP or another kind of link): pick another name";
        }
        return what;
    }

    /**
     * The offloads the kernel takes with TUNSETOFFLOAD (it refuses flags it does not know), then all
     * off until the device says what its driver accepts. UFO is left out: Linux accepts the flag
     * for old users but no longer hands out UFO frames, so it says nothing.
     */
    private static Set<NetOffload> probeOffloads(int fd) {
        Set<NetOffload> s = EnumSet.noneOf(NetOffload.class);
        if (TunLibC.ioctl(fd, TunLibC.TUNSETOFFLOAD, TunLibC.TUN_F_CSUM | TunLibC.TUN_F_TSO4 | TunLibC.TUN_F_TSO6
                | TunLibC.TUN_F_TSO_ECN) == 0) {
            s.addAll(EnumSet.of(NetOffload.CSUM, NetOffload.TSO4, NetOffload.TSO6, NetOffload.TSO_ECN));
        } else if (TunLibC.ioctl(fd, TunLibC.TUNSETOFFLOAD, TunLibC.TUN_F_CSUM) == 0) {
            s.add(NetOffload.CSUM);
        }
        TunLibC.ioctl(fd, TunLibC.TUNSETOFFLOAD, 0);
        return Collections.unmodifiableSet(s);
    }

    static int tunFlags(Set<NetOffload> offloads) {
        int flags = 0;
        for (NetOffload o : offloads) {
            flags |= switch (o) {
                case CSUM -> TunLibC.TUN_F_CSUM;
                case TSO4 -> TunLibC.TUN_F_TSO4;
                case TSO6 -> TunLibC.TUN_F_TSO6;
                case TSO_ECN -> TunLibC.TUN_F_TSO_ECN;
                case UFO -> TunLibC.TUN_F_UFO;
            };
        }
        return flags;
    }

    @Override
    public Set<NetOffload> offloads() {
        return offloads;
    }

    @Override
    public void setReceiveOffloads(Set<NetOffload> wanted) throws IOException {
        if (!offloads.containsAll(wanted)) {
            throw new IOException("TAP " + name + " cannot do " + wanted + ", only " + offloads);
        }
        if (TunLibC.ioctl(fd, TunLibC.TUNSETOFFLOAD, tunFlags(wanted)) < 0) {
            throw new IOException("TUNSETOFFLOAD: " + TunLibC.describe(TunLibC.errno()));
        }
    }

    @Override
    public int receive(ByteBuffer[] buffers, int count) throws IOException {
        checkOpen();
        int pieces = fill(rxIov, buffers, count, true);
        if (pieces == 0) {
            throw new IOException("no room to receive into");
        }
        long n;
        if (pieces >= 0) {
            n = readv(pieces);
            if (n > 0) {
                advance(buffers, count, n);
            }
        } else {
            ByteBuffer bounce = rxBounce(buffers, count);
            bounce.clear();
            rxIov.setLong(0, address(bounce));
            rxIov.setLong(TunLibC.IOVEC_LEN, bounce.capacity());
            n = readv(1);
            if (n > 0) {
                bounce.limit((int) Math.min(n, bounce.capacity()));
                for (int i = 0; i < count && bounce.hasRemaining(); i++) {
                    int m = Math.min(bounce.remaining(), buffers[i].remaining());
                    ByteBuffer part = bounce.slice().limit(m);
                    buffers[i].put(part);
                    bounce.position(bounce.position() + m);
                }
            }
        }
        return (int) Math.max(n, 0);
    }

    private long readv(int pieces) throws IOException {
        while (true) {
            long n = TunLibC.readv(fd, Pointer.nativeValue(rxIov), pieces);
            if (n >= 0) {
                return n;
            }
            int e = TunLibC.errno();
            if (e == EINTR) {
                continue;
            }
            if (e == EAGAIN) {
                arm(true);
                return 0;
            }
            if (e == TunLibC.EBADFD) {
                broken = "the interface was deleted or detached";
                throw new TapGoneException(name, broken);
            }
            throw new IOException("read from TAP " + name + ": " + TunLibC.describe(e));
        }
    }

    @Override
    public boolean send(ByteBuffer[] buffers, int count) throws IOException {
        checkOpen();
        int pieces = fill(txIov, buffers, count, false);
        if (pieces < 0) {
            long total = 0;
            for (int i = 0; i < count; i++) {
                total += buffers[i].remaining();
            }
            if (txBounce == null || txBounce.capacity() < total) {
                txBounce = ByteBuffer.allocateDirect((int) Math.min(Integer.MAX_VALUE - 8, Math.max(total, 70_000)));
            }
            txBounce.clear();
            for (int i = 0; i < count; i++) {
                txBounce.put(buffers[i].duplicate());
            }
            txIov.setLong(0, address(txBounce));
            txIov.setLong(TunLibC.IOVEC_LEN, txBounce.position());
            pieces = 1;
        }
        while (true) {
            long n = TunLibC.writev(fd, Pointer.nativeValue(txIov), pieces);
            if (n >= 0) {
                // a TAP write takes the whole frame or fails
                for (int i = 0; i < count; i++) {
                    buffers[i].position(buffers[i].limit());
                }
                return true;
            }
            int e = TunLibC.errno();
            if (e == EINTR) {
                continue;
            }
            if (e == EAGAIN) {
                arm(false);
                return false;
            }
            if (e == TunLibC.EBADFD) {
                broken = "the interface was deleted or detached";
                throw new TapGoneException(name, broken);
            }
            throw new IOException("write to TAP " + name + ": " + TunLibC.describe(e)
                    + (e == TunLibC.EIO ? " (is the interface up? ip link set " + name + " up)" : ""));
        }
    }

    /**
     * Writes an iovec per non-empty buffer into {@code iov}; -1 when a buffer is not direct or
     * there are more than IOV_MAX (the caller copies then).
     */
    private static int fill(Memory iov, ByteBuffer[] buffers, int count, boolean intoBuffers) {
        int pieces = 0;
        for (int i = 0; i < count; i++) {
            ByteBuffer b = buffers[i];
            if (!b.hasRemaining()) {
                continue;
            }
            if (!b.isDirect() || (intoBuffers && b.isReadOnly()) || pieces == TunLibC.IOV_MAX) {
                return -1;
            }
            long at = (long) TunLibC.IOVEC_SIZE * pieces;
            iov.setLong(at, address(b) + b.position());
            iov.setLong(at + TunLibC.IOVEC_LEN, b.remaining());
            pieces++;
        }
        return pieces;
    }

    private static long address(ByteBuffer direct) {
        return Pointer.nativeValue(Native.getDirectBufferPointer(direct));
    }

    /** Moves the buffers' positions past the {@code n} bytes a read filled. */
    private static void advance(ByteBuffer[] buffers, int count, long n) {
        for (int i = 0; i < count && n > 0; i++) {
            int m = (int) Math.min(n, buffers[i].remaining());
            buffers[i].position(buffers[i].position() + m);
            n -= m;
        }
    }

    private ByteBuffer rxBounce(ByteBuffer[] buffers, int count) {
        long total = 0;
        for (int i = 0; i < count; i++) {
            total += buffers[i].remaining();
        }
        int want = (int) Math.min(Integer.MAX_VALUE - 8, Math.max(total, 70_000));
        if (rxBounce == null || rxBounce.capacity() < want) {
            rxBounce = ByteBuffer.allocateDirect(want);
        }
        return rxBounce;
    }

    /** Asks the poller to watch a direction, waking it if it was not already watching. */
    private void arm(boolean read) {
        if (read ? wantRead : wantWrite) {
            return;
        }
        if (read) {
            wantRead = true;
        } else {
            wantWrite = true;
        }
        TunLibC.write(wakeFd, Pointer.nativeValue(one), 8);
    }

    private void checkOpen() throws IOException {
        if (closed) {
            throw new ClosedChannelException();
        }
        if (broken != null) {
            throw new TapGoneException(name, broken);
        }
    }

    /** {@link #receive}/{@link #send} on a TAP whose interface is gone: for good, with the reason. */
    static final class TapGoneException extends ClosedChannelException {
        private static final long serialVersionUID = 1L;
        private final String message;

        TapGoneException(String name, String why) {
            this.message = "TAP " + name + " no longer works (" + why + ")";
        }

        @Override
        public String getMessage() {
            return message;
        }
    }

    /** The id of the poller thread (tests watch its CPU time). */
    long pollerThreadId() {
        return poller.getId();
    }

    private void pollLoop() {
        try (Memory fds = new Memory(2L * TunLibC.POLLFD_SIZE); Memory drain = new Memory(8)) {
            while (!closed) {
                short events = (short) ((wantRead ? TunLibC.POLLIN : 0) | (wantWrite ? TunLibC.POLLOUT : 0));
                // poll(2) ignores a negative fd: once the TAP is broken only the eventfd (close) is watched
                fds.setInt(0, broken == null ? fd : -1);
                fds.setShort(TunLibC.POLLFD_EVENTS, events);
                fds.setShort(TunLibC.POLLFD_REVENTS, (short) 0);
                fds.setInt(TunLibC.POLLFD_SIZE, wakeFd);
                fds.setShort(TunLibC.POLLFD_SIZE + TunLibC.POLLFD_EVENTS, TunLibC.POLLIN);
                fds.setShort(TunLibC.POLLFD_SIZE + TunLibC.POLLFD_REVENTS, (short) 0);
                if (TunLibC.poll(Pointer.nativeValue(fds), 2, -1) < 0) {
                    int e = TunLibC.errno();
                    if (e == EINTR) {
                        continue;
                    }
                    LOG.log(System.Logger.Level.ERROR, "TAP {0}: poll failed: {1}; the device stops", name,
                            TunLibC.describe(e));
                    return;
                }
                if (fds.getShort(TunLibC.POLLFD_SIZE + TunLibC.POLLFD_REVENTS) != 0) {
                    TunLibC.read(wakeFd, Pointer.nativeValue(drain), 8);
                }
                short revents = fds.getShort(TunLibC.POLLFD_REVENTS);
                NetBackendListener l = listener;
                if ((revents & (TunLibC.POLLERR | TunLibC.POLLHUP | TunLibC.POLLNVAL)) != 0) {
                    // poll reports these whatever the events asked for, at once and again: the TAP
                    // was detached (interface deleted), so it can never move a frame again
                    broken = (revents & TunLibC.POLLNVAL) != 0 ? "its descriptor is invalid"
                            : "the interface was deleted or detached";
                    LOG.log(System.Logger.Level.WARNING, "TAP {0}: {1}; the network device moves no more frames "
                            + "(recreate the interface and restart the VM)", name, broken);
                    wantRead = false;
                    wantWrite = false;
                    if (l != null) { // both directions learn it from their next receive/send
                        l.readable();
                        l.writable();
                    }
                    continue;
                }
                if ((revents & TunLibC.POLLIN) != 0) {
                    wantRead = false;
                    if (l != null) {
                        l.readable();
                    }
                }
                if ((revents & TunLibC.POLLOUT) != 0) {
                    wantWrite = false;
                    if (l != null) {
                        l.writable();
                    }
                }
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "TAP " + name + ": poller failed", e);
        }
    }

    @Override
    public void setListener(NetBackendListener listener) {
        this.listener = listener;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void close() {
        synchronized (closeLock) {
            if (fdsClosed) {
                return;
            }
            closed = true;
            TunLibC.write(wakeFd, Pointer.nativeValue(one), 8);
            try {
                poller.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (poller.isAlive()) {
                LOG.log(System.Logger.Level.WARNING, "TAP {0}: its poller did not stop; closing anyway", name);
            }
            TunLibC.close(fd);
            TunLibC.close(wakeFd);
            fdsClosed = true;
        }
    }
}
