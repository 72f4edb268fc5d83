package io.jvmm.dev.virtiovsock;

import static io.jvmm.dev.virtiovsock.VsockHeader.OP_CREDIT_REQUEST;
import static io.jvmm.dev.virtiovsock.VsockHeader.OP_CREDIT_UPDATE;
import static io.jvmm.dev.virtiovsock.VsockHeader.OP_REQUEST;
import static io.jvmm.dev.virtiovsock.VsockHeader.OP_RESPONSE;
import static io.jvmm.dev.virtiovsock.VsockHeader.OP_RST;
import static io.jvmm.dev.virtiovsock.VsockHeader.OP_RW;
import static io.jvmm.dev.virtiovsock.VsockHeader.OP_SHUTDOWN;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.PciAddress;
import io.jvmm.testkit.FakeBoard;
import io.jvmm.testkit.FakeGuestMemory;
import io.jvmm.testkit.TestTime;
import io.jvmm.testkit.VirtioPciDriver;
import io.jvmm.testkit.VirtioPciDriver.Queue;
import io.jvmm.testkit.VirtioPciDriver.Used;
import io.jvmm.virtio.VirtioPciDevice;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * virtio-vsock over the modern PCI transport, driven by the testkit's guest-side driver, with real
 * Unix sockets on /tmp as the host side.
 */
class VirtioVsockTest {
    static final int SLOT = 3;
    static final long CID = 3;
    static final long RX_RINGS = 0x10000;
    static final long TX_RINGS = 0x18000;
    static final long EV_RINGS = 0x1C000;
    static final long RX_BUF = 0x100000;
    static final long TX_BUF = 0x400000;
    static final int RX_SIZE = 4096 + VsockHeader.SIZE;
    static final int TX_SLOT = 0x11000; // room for a 64 KiB payload and its header
    static final int QSIZE = 64;
    /** Shorter than the device's default, so the test of a guest that never answers is quick. */
    static final java.time.Duration RESPONSE_TIMEOUT = java.time.Duration.ofSeconds(2);
    /** To-host buffer budget: two streams' worth, so the test of the budget needs only three. */
    static final long BUDGET = 2L * VirtioVsock.BUF_ALLOC;

    final FakeGuestMemory ram = new FakeGuestMemory(16 << 20);
    final FakeBoard board = new FakeBoard().withGuestMemory(ram);
    final Path dir;
    final Path path;
    final HostSide host;
    final VirtioVsock vsock;
    final VirtioPciDevice dev;
    final VirtioPciDriver driver;
    Queue rx;
    Queue tx;
    int txNext;
    final Map<Integer, Long> rxAddress = new HashMap<>();
    /** Packets the device put in rx buffers, in order. */
    final List<Packet> received = new ArrayList<>();
    final List<ServerSocketChannel> listeners = new ArrayList<>();
    final List<SocketChannel> sockets = new ArrayList<>();

    record Packet(VsockHeader header, byte[] payload) {}

    VirtioVsockTest() throws IOException {
        dir = Files.createTempDirectory(Path.of("/tmp"), "vsock-test");
        path = dir.resolve("v.sock");
        host = HostSide.listen(path, board.waker(), RESPONSE_TIMEOUT);
        vsock = new VirtioVsock("vsock", CID, path.toString(), ram, board.waker(), host, BUDGET);
        host.start("vsock-test");
        dev = new VirtioPciDevice("vsock", new PciAddress(0, SLOT, 0), vsock, board);
        driver = new VirtioPciDriver(dev, ram);
    }

    @AfterEach
    void tearDown() throws IOException {
        for (SocketChannel s : sockets) {
            s.close();
        }
        for (ServerSocketChannel l : listeners) {
            l.close();
        }
        dev.close();
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.deleteIfExists(p);
            }
        }
        Files.deleteIfExists(dir);
    }

    void ready() {
        assertTrue(driver.negotiate(VirtioPciDriver.F_VERSION_1));
        rx = driver.setUpQueue(0, QSIZE, RX_RINGS);
        tx = driver.setUpQueue(1, QSIZE, TX_RINGS);
        driver.setUpQueue(2, 8, EV_RINGS);
        driver.driverOk();
        postRx(32);
    }

    void postRx(int n) {
        for (int i = 0; i < n; i++) {
            long at = RX_BUF + (long) (rxAddress.size() % QSIZE) * 0x2000;
            int head = rx.addWritable(at, RX_SIZE);
            rxAddress.put(head, at);
        }
        rx.notifyDevice();
    }

    /** The guest sends one packet (one readable descriptor: header then payload). */
    void send(int op, int srcPort, int dstPort, int flags, int bufAlloc, int fwdCnt, byte[] payload) throws Exception {
        sendRaw(new VsockHeader(CID, 2, srcPort, dstPort, payload.length, 1, op, flags, bufAlloc, fwdCnt), payload,
                VsockHeader.SIZE + payload.length);
    }

    void sendRaw(VsockHeader h, byte[] payload, int chainLength) throws Exception {
        int d = txNext++ % QSIZE;
        long at = TX_BUF + (long) d * TX_SLOT;
        ByteBuffer b = ByteBuffer.allocate(VsockHeader.SIZE).order(ByteOrder.LITTLE_ENDIAN);
        h.write(b);
        ram.write(at, b.array(), 0, VsockHeader.SIZE);
        ram.write(at + VsockHeader.SIZE, payload, 0, payload.length);
        tx.writeDescriptor(d, at, chainLength, 0, 0);
        tx.publish(d);
        tx.notifyDevice();
        pollWoken();
    }

    void send(int op, int srcPort, int dstPort) throws Exception {
        send(op, srcPort, dstPort, 0, 1 << 20, 0, new byte[0]);
    }

    /** Takes what the device put in rx buffers and posts the buffers again. */
    void collect() throws Exception {
        List<Used> used = rx.takeUsed();
        for (Used u : used) {
            long at = rxAddress.get(u.id());
            byte[] b = new byte[(int) u.length()];
            ram.read(at, b, 0, b.length);
            assertTrue(b.length >= VsockHeader.SIZE, "every rx packet has a header");
            VsockHeader h = VsockHeader.read(ByteBuffer.wrap(b, 0, VsockHeader.SIZE));
            assertEquals(2, h.srcCid());
            assertEquals(CID, h.dstCid());
            assertEquals(b.length - VsockHeader.SIZE, h.len(), "len matches what was written");
            received.add(new Packet(h, Arrays.copyOfRange(b, VsockHeader.SIZE, b.length)));
            int head = rx.addWritable(at, RX_SIZE);
            rxAddress.put(head, at);
        }
        if (!used.isEmpty()) {
            rx.notifyDevice();
        }
    }

    int wakesSeen;
    int timersSeen;
    long timerDue;

    /**
     * Polls the device only as the board's device thread would: once after each wake (wakes that
     * came before one poll count once) and when a timer the device asked for is due. The device
     * and its selector thread must wake it for everything they want done, so a lost wake-up makes
     * a test time out instead of being covered by a poll loop.
     */
    void pollWoken() throws Exception {
        while (true) {
            int timers = board.waker().timers();
            if (timers != timersSeen) {
                timersSeen = timers;
                timerDue = System.nanoTime() + board.waker().lastDelay().toNanos();
            }
            boolean timer = timerDue != 0 && System.nanoTime() - timerDue >= 0;
            int wakes = board.waker().wakes();
            if (wakes == wakesSeen && !timer) {
                return;
            }
            wakesSeen = wakes;
            if (timer) {
                timerDue = 0;
            }
            dev.poll();
            collect();
        }
    }

    /** Polls the device when woken (see {@link #pollWoken}) until {@code done}. */
    void until(String what, BooleanSupplier done) throws Exception {
        long end = System.nanoTime() + TestTime.seconds(10).toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting for " + what + "; received " + received);
            }
            pollWoken();
            Thread.onSpinWait();
        }
    }

    /** Removes and returns the first received packet with {@code op} for guest port {@code guestPort}. */
    Packet take(int op, int guestPort) throws Exception {
        until(VsockHeader.opName(op) + " to guest port " + guestPort, () -> find(op, guestPort) != null);
        Packet p = find(op, guestPort);
        received.remove(p);
        return p;
    }

    Packet find(int op, int guestPort) {
        for (Packet p : received) {
            if (p.header().op() == op && p.header().dstPort() == guestPort) {
                return p;
            }
        }
        return null;
    }

    /** All RW payload bytes the guest port got so far (removing those packets). */
    byte[] drainRw(int guestPort) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        received.removeIf(p -> {
            if (p.header().op() == OP_RW && p.header().dstPort() == guestPort) {
                out.writeBytes(p.payload());
                return true;
            }
            return false;
        });
        return out.toByteArray();
    }

    ServerSocketChannel hostListener(int port) throws IOException {
        ServerSocketChannel l = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        l.bind(UnixDomainSocketAddress.of(path + "_" + port));
        listeners.add(l);
        return l;
    }

    SocketChannel accept(ServerSocketChannel l) throws IOException {
        SocketChannel s = l.accept();
        sockets.add(s);
        return s;
    }

    /** Guest port {@code guestPort} connects to host port {@code port}; returns the host's end. */
    SocketChannel guestConnect(ServerSocketChannel l, int port, int guestPort, int bufAlloc) throws Exception {
        send(OP_REQUEST, guestPort, port, 0, bufAlloc, 0, new byte[0]);
        Packet r = take(OP_RESPONSE, guestPort);
        assertEquals(port, r.header().srcPort());
        assertEquals(VirtioVsock.BUF_ALLOC, r.header().bufAlloc());
        return accept(l);
    }

    static byte[] readFully(SocketChannel s, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            if (s.read(b) < 0) {
                throw new IOException("EOF after " + b.position() + " of " + n);
            }
        }
        return b.array();
    }

    static String readLine(SocketChannel s) throws IOException {
        StringBuilder sb = new StringBuilder();
        ByteBuffer one = ByteBuffer.allocate(1);
        while (true) {
            one.clear();
            if (s.read(one) < 0) {
                return sb.length() == 0 ? null : sb.toString();
            }
            if (one.get(0) == '\n') {
                return sb.toString();
            }
            sb.append((char) one.get(0));
        }
    }

    /** EOF, or a reset when the device closed it with bytes unread. */
    static boolean closedByPeer(SocketChannel c) {
        try {
            return c.read(ByteBuffer.allocate(16)) == -1;
        } catch (IOException reset) {
            return true;
        }
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    // --- tests -----------------------------------------------------------------------------------

    @Test
    void isAModernSocketDeviceWithThreeQueuesAndTheGuestCid() {
        assertEquals(0x1040 + 19, dev.info().deviceId(), "device ID 19 (§5.10.1)");
        assertEquals(3, driver.readCommon(0x12, 2), "rx, tx, event");
        byte[] cfg = new byte[8];
        vsock.readConfig(0, cfg);
        assertEquals(CID, ByteBuffer.wrap(cfg).order(ByteOrder.LITTLE_ENDIAN).getLong(), "le64 guest_cid");
        assertTrue(Files.exists(path), "listening at PATH");
    }

    @Test
    void aGuestConnectionReachesPathPortAndCarriesDataBothWays() throws Exception {
        ready();
        ServerSocketChannel l = hostListener(5000);
        SocketChannel s = guestConnect(l, 5000, 1234, 1 << 20);
        send(OP_RW, 1234, 5000, 0, 1 << 20, 0, "hello host".getBytes(StandardCharsets.US_ASCII));
        assertEquals("hello host", new String(readFully(s, 10), StandardCharsets.US_ASCII));
        s.write(ByteBuffer.wrap("hello guest".getBytes(StandardCharsets.US_ASCII)));
        until("11 bytes to the guest", () -> find(OP_RW, 1234) != null
                && received.stream().filter(p -> p.header().op() == OP_RW).mapToInt(p -> p.payload().length).sum() == 11);
        Packet p = find(OP_RW, 1234);
        assertEquals(5000, p.header().srcPort());
        assertEquals("hello guest", new String(drainRw(1234), StandardCharsets.US_ASCII));
        // the guest closes: SHUTDOWN both ways; the host reads EOF and the guest gets RST
        send(OP_SHUTDOWN, 1234, 5000, VsockHeader.SHUTDOWN_BOTH, 1 << 20, 11, new byte[0]);
        take(OP_RST, 1234);
        assertEquals(-1, s.read(ByteBuffer.allocate(1)));
        assertEquals(0, vsock.connectionCount());
    }

    @Test
    void aGuestConnectionToNoListenerIsReset() throws Exception {
        ready();
        send(OP_REQUEST, 1234, 5001);
        Packet p = take(OP_RST, 1234);
        assertEquals(5001, p.header().srcPort());
        assertEquals(0, vsock.connectionCount());
    }

    @Test
    void aHostClientReachesAGuestPortThroughConnect() throws Exception {
        ready();
        SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(path));
        sockets.add(c);
        c.write(ByteBuffer.wrap("CONNECT 52\nearly".getBytes(StandardCharsets.US_ASCII)));
        Packet req = take(OP_REQUEST, 52);
        int hostPort = req.header().srcPort();
        assertTrue(Integer.toUnsignedLong(hostPort) >= VirtioVsock.FIRST_EPHEMERAL_PORT);
        send(OP_RESPONSE, 52, hostPort, 0, 1 << 20, 0, new byte[0]);
        assertEquals("OK " + hostPort, readLine(c));
        until("the bytes after the CONNECT line", () -> received.stream()
                .filter(p -> p.header().op() == OP_RW).mapToInt(p -> p.payload().length).sum() == 5);
        assertEquals("early", new String(drainRw(52), StandardCharsets.US_ASCII), "not eaten by the handshake");
        send(OP_RW, 52, hostPort, 0, 1 << 20, 5, "from guest".getBytes(StandardCharsets.US_ASCII));
        assertEquals("from guest", new String(readFully(c, 10), StandardCharsets.US_ASCII));
        send(OP_RST, 52, hostPort);
        assertEquals(-1, c.read(ByteBuffer.allocate(1)), "RST from the guest closes the client");
    }

    @Test
    void aHostClientRefusedByTheGuestIsClosed() throws Exception {
        ready();
        SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(path));
        sockets.add(c);
        c.write(ByteBuffer.wrap("CONNECT 77\n".getBytes(StandardCharsets.US_ASCII)));
        Packet req = take(OP_REQUEST, 77);
        send(OP_RST, 77, req.header().srcPort());
        assertEquals(-1, c.read(ByteBuffer.allocate(1)));
        assertEquals(0, vsock.connectionCount());
    }

    @Test
    void aShutdownInsteadOfAResponseRefusesTheHostClient() throws Exception {
        ready();
        SocketChannel c = hostClient(79);
        int port = take(OP_REQUEST, 79).header().srcPort();
        send(OP_SHUTDOWN, 79, port, VsockHeader.SHUTDOWN_SEND, 1 << 20, 0, new byte[0]);
        assertEquals(0, vsock.connectionCount(), "refused at once, not left to the response timeout");
        assertEquals(0, vsock.awaitingResponseCount());
        assertTrue(find(OP_RST, 79) != null, "RST to the guest");
        assertEquals(null, readLine(c), "closed without an OK line");
    }

    @Test
    void aHostClientTheGuestNeverAnswersIsResetAfterTheTimeout() throws Exception {
        ready();
        SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(path));
        sockets.add(c);
        c.write(ByteBuffer.wrap("CONNECT 78\n".getBytes(StandardCharsets.US_ASCII)));
        take(OP_REQUEST, 78);
        java.time.Duration timer = board.waker().lastDelay();
        assertTrue(!timer.isNegative() && !timer.isZero() && timer.compareTo(RESPONSE_TIMEOUT) <= 0,
                "a timer wakes the device at the deadline, counted from the CONNECT line: " + timer);
        assertEquals(1, vsock.connectionCount());
        take(OP_RST, 78); // the guest stays silent
        assertTrue(closedByPeer(c), "the client is closed");
        assertEquals(0, vsock.connectionCount());
    }

    /** Whether the peer closed {@code c} within {@code seconds} (EOF or reset); false if it stays open. */
    static boolean closedWithin(SocketChannel c, int seconds) throws IOException {
        c.configureBlocking(false);
        long end = System.nanoTime() + TestTime.seconds(seconds).toNanos();
        ByteBuffer b = ByteBuffer.allocate(64);
        while (System.nanoTime() - end < 0) {
            try {
                b.clear();
                if (c.read(b) < 0) {
                    return true;
                }
            } catch (IOException reset) {
                return true;
            }
            Thread.onSpinWait();
        }
        return false;
    }

    SocketChannel hostClient(int port) throws IOException {
        SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(path));
        sockets.add(c);
        c.write(ByteBuffer.wrap(("CONNECT " + port + "\n").getBytes(StandardCharsets.US_ASCII)));
        return c;
    }

    @Test
    void hostClientsWhileTheDriverIsNotRunningAreCappedAndClosedAtTheirDeadline() throws Exception {
        // no driver: the device never takes the clients, so the host side must bound and expire them
        List<SocketChannel> clients = new ArrayList<>();
        for (int i = 0; i < HostSide.MAX_ACCEPTED; i++) {
            clients.add(hostClient(100 + i));
        }
        long end = System.nanoTime() + TestTime.seconds(10).toNanos();
        while (host.acceptedCount() < HostSide.MAX_ACCEPTED && System.nanoTime() - end < 0) {
            Thread.onSpinWait();
        }
        assertEquals(HostSide.MAX_ACCEPTED, host.acceptedCount());
        SocketChannel excess = hostClient(999);
        assertTrue(closedWithin(excess, 5), "a client beyond MAX_ACCEPTED is closed at once");
        assertFalse(closedWithin(clients.get(0), 0), "the others wait for the guest");
        for (SocketChannel c : clients) {
            assertTrue(closedWithin(c, 10), "closed once the response timeout passed, though the device never ran");
        }
        assertEquals(0, host.acceptedCount());
    }

    @Test
    void aDriverResetClosesHostClientsTheDeviceHasNotTaken() throws Exception {
        ready();
        SocketChannel c = hostClient(60);
        long end = System.nanoTime() + TestTime.seconds(10).toNanos();
        while (host.acceptedCount() == 0 && System.nanoTime() - end < 0) {
            Thread.onSpinWait();
        }
        assertEquals(1, host.acceptedCount(), "waiting for the device's next poll");
        driver.setStatus(0); // the guest reboots before the device took the client
        assertTrue(closedWithin(c, 1), "closed well before its response timeout");
        ready();
        pollWoken();
        assertEquals(null, find(OP_REQUEST, 60), "the new driver never hears of it");
    }

    @Test
    void failingAcceptsDoNotStopTheHostSide() throws Exception {
        // the listener fails as with EMFILE a few times: the loop backs off and goes on accepting
        Path other = dir.resolve("emfile.sock");
        java.util.concurrent.atomic.AtomicInteger failures = new java.util.concurrent.atomic.AtomicInteger(3);
        HostSide h = HostSide.listen(other, board.waker(), RESPONSE_TIMEOUT, l -> () -> {
            if (failures.getAndDecrement() > 0) {
                throw new IOException("Too many open files");
            }
            return l.accept();
        });
        h.start("emfile");
        try {
            for (int i = 1; i <= 2; i++) {
                SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(other));
                sockets.add(c);
                c.write(ByteBuffer.wrap(("CONNECT " + i + "\n").getBytes(StandardCharsets.US_ASCII)));
                int want = i;
                long end = System.nanoTime() + TestTime.seconds(5).toNanos();
                while (h.acceptedCount() < want && System.nanoTime() - end < 0) {
                    Thread.onSpinWait();
                }
                assertEquals(want, h.acceptedCount(), "client " + i + " accepted after the failures");
            }
            assertTrue(failures.get() < 0, "the failures happened");
        } finally {
            h.stop();
        }
    }

    @Test
    void aClientThatSendsGarbageIsClosedWithoutReachingTheGuest() throws Exception {
        ready();
        for (String line : List.of("HELLO\n", "CONNECT\n", "CONNECT -1\n", "CONNECT 99999999999\n",
                "CONNECT 1234567890123456789012345678901234567890\n")) {
            SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(path));
            sockets.add(c);
            c.write(ByteBuffer.wrap(line.getBytes(StandardCharsets.US_ASCII)));
            assertTrue(closedByPeer(c), line.strip() + ": closed");
        }
        pollWoken();
        assertEquals(List.of(), received, "nothing reached the guest");
        assertEquals(4294967295L, HostSide.parseConnect("CONNECT 4294967295"));
        assertEquals(7, HostSide.parseConnect("CONNECT 7\r"));
    }

    @Test
    void hostDataNeverExceedsTheGuestsCreditAndResumesOnCreditUpdate() throws Exception {
        ready();
        ServerSocketChannel l = hostListener(5002);
        SocketChannel s = guestConnect(l, 5002, 40, 1000); // the guest has a 1000-byte buffer
        byte[] data = random(5000, 1);
        s.write(ByteBuffer.wrap(data));
        until("1000 bytes", () -> received.stream().filter(p -> p.header().op() == OP_RW)
                .mapToInt(p -> p.payload().length).sum() >= 1000);
        for (int i = 0; i < 50; i++) {
            pollWoken();
        }
        byte[] first = drainRw(40);
        assertEquals(1000, first.length, "exactly the credit");
        send(OP_CREDIT_UPDATE, 40, 5002, 0, 1000, 1000, new byte[0]); // the guest consumed it all
        until("the next 1000", () -> received.stream().filter(p -> p.header().op() == OP_RW)
                .mapToInt(p -> p.payload().length).sum() >= 1000);
        byte[] second = drainRw(40);
        assertEquals(1000, second.length);
        assertArrayEquals(Arrays.copyOfRange(data, 0, 2000), concat(first, second));
        send(OP_CREDIT_UPDATE, 40, 5002, 0, 1 << 20, 2000, new byte[0]);
        until("the rest", () -> received.stream().filter(p -> p.header().op() == OP_RW)
                .mapToInt(p -> p.payload().length).sum() >= 3000);
        assertArrayEquals(Arrays.copyOfRange(data, 2000, 5000), drainRw(40));
    }

    @Test
    void aBulkTransferToTheGuestGoesOnAfterEachSingleCreditUpdate() throws Exception {
        // the guest's credit runs out (the device stops watching the socket), the guest drains its
        // buffer in one recv and sends exactly one CREDIT_UPDATE: that packet alone must restart
        // the stream, since nothing else will wake the device (the transport polls rx before tx)
        ready();
        ServerSocketChannel l = hostListener(5010);
        int window = 16 * 1024;
        SocketChannel s = guestConnect(l, 5010, 49, window);
        byte[] data = random(8 * window, 3);
        Thread writer = new Thread(() -> {
            try {
                s.write(ByteBuffer.wrap(data)); // blocks while the device leaves the data in the socket
            } catch (IOException ignored) {
                // the test fails on the missing bytes
            }
        });
        writer.start();
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        while (got.size() < data.length) {
            int target = got.size() + window;
            until("the guest's credit used up at " + target, () -> got.size() + rwBytes(49) >= target);
            got.writeBytes(drainRw(49));
            assertEquals(target, got.size(), "never beyond the credit");
            send(OP_CREDIT_UPDATE, 49, 5010, 0, window, got.size(), new byte[0]);
        }
        writer.join(TestTime.seconds(10).toMillis());
        assertArrayEquals(data, got.toByteArray());
    }

    int rwBytes(int guestPort) {
        return received.stream().filter(p -> p.header().op() == OP_RW && p.header().dstPort() == guestPort)
                .mapToInt(p -> p.payload().length).sum();
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    @Test
    void guestDataWaitsForAnUnreadHostSocketAndCreditUpdatesFollowItsReads() throws Exception {
        ready();
        ServerSocketChannel l = hostListener(5003);
        SocketChannel s = guestConnect(l, 5003, 41, 1 << 20);
        byte[] data = random(VirtioVsock.BUF_ALLOC * 4, 2);
        int sent = 0;
        // the guest sends as its credit allows: BUF_ALLOC minus what the device has not forwarded
        int fwd = 0;
        for (; sent < VirtioVsock.BUF_ALLOC; sent += 65536) {
            send(OP_RW, 41, 5003, 0, 1 << 20, 0, Arrays.copyOfRange(data, sent, sent + 65536));
        }
        assertEquals(1, vsock.connectionCount(), "within credit, however slow the host reads");
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        s.configureBlocking(false);
        ByteBuffer buf = ByteBuffer.allocate(1 << 16);
        while (got.size() < data.length) {
            buf.clear();
            int n = s.read(buf);
            got.write(buf.array(), 0, Math.max(n, 0));
            pollWoken(); // the selector reports room; the device writes what waits and advertises credit
            for (Packet p : new ArrayList<>(received)) {
                if (p.header().op() == OP_CREDIT_UPDATE || p.header().op() == OP_RW) {
                    fwd = Math.max(fwd, p.header().fwdCnt());
                    received.remove(p);
                }
            }
            while (sent < data.length && sent - fwd + 65536 <= VirtioVsock.BUF_ALLOC) {
                send(OP_RW, 41, 5003, 0, 1 << 20, 0, Arrays.copyOfRange(data, sent, sent + 65536));
                sent += 65536;
            }
        }
        assertArrayEquals(data, got.toByteArray());
        // a guest that ignores its credit while the host no longer reads: once the socket is full
        // and the device holds BUF_ALLOC bytes for it, the next packet resets the stream
        for (int i = 0; i < 256 && find(OP_RST, 41) == null; i++) {
            send(OP_RW, 41, 5003, 0, 1 << 20, 0, new byte[65536]);
        }
        take(OP_RST, 41);
        assertEquals(0, vsock.connectionCount());
    }

    /**
     * The guest sends on {@code guestPort} within its credit (from the fwd_cnt the device
     * advertises) until the device holds a to-host buffer for it; returns what it sent.
     */
    ByteArrayOutputStream sendUntilBuffered(int guestPort, int port, long buffered) throws Exception {
        ByteArrayOutputStream sent = new ByteArrayOutputStream();
        int fwd = 0;
        for (int i = 0; vsock.bufferedBytes() < buffered; i++) {
            assertTrue(i < 64, "the unread host socket fills up");
            for (Packet p : new ArrayList<>(received)) {
                if (p.header().dstPort() == guestPort && (p.header().op() == OP_CREDIT_UPDATE || p.header().op() == OP_RW)) {
                    fwd = Math.max(fwd, p.header().fwdCnt());
                    received.remove(p);
                }
            }
            int n = Math.min(65536, VirtioVsock.BUF_ALLOC - (sent.size() - fwd));
            assertTrue(n > 0, "credit left");
            byte[] b = random(n, guestPort * 100 + i);
            send(OP_RW, guestPort, port, 0, 1 << 20, 0, b);
            sent.writeBytes(b);
        }
        return sent;
    }

    @Test
    void toHostBuffersStayWithinTheBudgetWaitWithoutLossAndGoWithTheirStreams() throws Exception {
        ready();
        ServerSocketChannel l = hostListener(5011);
        List<SocketChannel> hosts = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            hosts.add(guestConnect(l, 5011, 3000 + i, 1 << 20));
        }
        // two streams whose host peers do not read take the whole budget
        ByteArrayOutputStream sent0 = sendUntilBuffered(3000, 5011, VirtioVsock.BUF_ALLOC);
        sendUntilBuffered(3001, 5011, BUDGET);
        assertEquals(BUDGET, vsock.bufferedBytes());
        // the third stream's data waits in the tx queue: no buffer for it, and nothing is lost
        int used = tx.usedIndex();
        byte[] third = random(65536, 7);
        send(OP_RW, 3002, 5011, 0, 1 << 20, 0, third);
        assertEquals(used, tx.usedIndex(), "the packet waits for budget");
        assertEquals(BUDGET, vsock.bufferedBytes(), "never beyond the budget");
        assertEquals(null, find(OP_RST, 3002), "waiting, not reset");
        assertEquals(3, vsock.connectionCount());
        // the first host peer reads everything: its buffer drains and is freed, the packet goes on
        SocketChannel h0 = hosts.get(0);
        h0.configureBlocking(false);
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        ByteBuffer buf = ByteBuffer.allocate(1 << 16);
        until("stream 0 drained", () -> {
            buf.clear();
            try {
                got.write(buf.array(), 0, Math.max(0, h0.read(buf)));
            } catch (IOException e) {
                throw new AssertionError(e);
            }
            return got.size() == sent0.size();
        });
        assertArrayEquals(sent0.toByteArray(), got.toByteArray());
        until("the waiting packet", () -> tx.usedIndex() == used + 1);
        assertArrayEquals(third, readFully(hosts.get(2), third.length), "its bytes, whole");
        // a closed stream's buffer goes with it
        send(OP_RST, 3001, 5011);
        assertEquals(0, vsock.bufferedBytes());
    }

    @Test
    void answeredOrClosedHostClientsLeaveTheResponseTimer() throws Exception {
        ready();
        SocketChannel a = hostClient(61);
        SocketChannel b = hostClient(62);
        int portA = take(OP_REQUEST, 61).header().srcPort();
        int portB = take(OP_REQUEST, 62).header().srcPort();
        assertEquals(2, vsock.awaitingResponseCount());
        send(OP_RESPONSE, 61, portA, 0, 1 << 20, 0, new byte[0]);
        assertEquals("OK " + portA, readLine(a));
        send(OP_RST, 62, portB);
        assertEquals(0, vsock.awaitingResponseCount(), "neither is held until the timeout");
        assertTrue(closedByPeer(b));
    }

    @Test
    void aCreditRequestIsAnswered() throws Exception {
        ready();
        ServerSocketChannel l = hostListener(5004);
        guestConnect(l, 5004, 42, 1 << 20);
        send(OP_CREDIT_REQUEST, 42, 5004);
        Packet p = take(OP_CREDIT_UPDATE, 42);
        assertEquals(VirtioVsock.BUF_ALLOC, p.header().bufAlloc());
    }

    @Test
    void aClosedHostPeerEndsTheStream() throws Exception {
        ready();
        ServerSocketChannel l = hostListener(5005);
        SocketChannel s = guestConnect(l, 5005, 43, 1 << 20);
        s.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        s.close();
        Packet sd = take(OP_SHUTDOWN, 43);
        assertEquals(VsockHeader.SHUTDOWN_SEND, sd.header().flags(), "the host sends no more");
        assertArrayEquals(new byte[] {1, 2, 3}, drainRw(43), "what it sent before arrives first");
        send(OP_RW, 43, 5005, 0, 1 << 20, 3, new byte[] {9}); // writing to the gone peer fails
        take(OP_RST, 43);
        assertEquals(0, vsock.connectionCount());
    }

    @Test
    void aGuestHalfCloseShutsTheHostSocketsOutputOnly() throws Exception {
        ready();
        ServerSocketChannel l = hostListener(5006);
        SocketChannel s = guestConnect(l, 5006, 44, 1 << 20);
        send(OP_RW, 44, 5006, 0, 1 << 20, 0, "req".getBytes(StandardCharsets.US_ASCII));
        send(OP_SHUTDOWN, 44, 5006, VsockHeader.SHUTDOWN_SEND, 1 << 20, 0, new byte[0]);
        assertEquals("req", new String(readFully(s, 3), StandardCharsets.US_ASCII));
        assertEquals(-1, s.read(ByteBuffer.allocate(1)), "EOF after the data");
        s.write(ByteBuffer.wrap("reply".getBytes(StandardCharsets.US_ASCII)));
        until("the reply", () -> received.stream().filter(p -> p.header().op() == OP_RW)
                .mapToInt(p -> p.payload().length).sum() == 5);
        assertEquals("reply", new String(drainRw(44), StandardCharsets.US_ASCII));
        s.close();
        take(OP_RST, 44); // EOF from the host after the guest's SHUTDOWN(send): both done
    }

    @Test
    void manyStreamsAtOnceKeepTheirBytesApart() throws Exception {
        ready();
        postRx(QSIZE - 32);
        ServerSocketChannel l = hostListener(6000);
        int n = 40;
        List<SocketChannel> hosts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            hosts.add(guestConnect(l, 6000, 2000 + i, 1 << 20));
        }
        assertEquals(n, vsock.connectionCount());
        // the host side learns which stream is which from what the guest sends first
        Map<Integer, SocketChannel> byPort = new HashMap<>();
        for (int i = 0; i < n; i++) {
            send(OP_RW, 2000 + i, 6000, 0, 1 << 20, 0, new byte[] {(byte) i});
        }
        for (SocketChannel h : hosts) {
            byPort.put(2000 + readFully(h, 1)[0], h);
        }
        for (int i = 0; i < n; i++) {
            byPort.get(2000 + i).write(ByteBuffer.wrap(random(3000, i)));
        }
        until("3000 bytes on every stream", () -> {
            for (int i = 0; i < n; i++) {
                int port = 2000 + i;
                if (received.stream().filter(p -> p.header().op() == OP_RW && p.header().dstPort() == port)
                        .mapToInt(p -> p.payload().length).sum() < 3000) {
                    return false;
                }
            }
            return true;
        });
        for (int i = 0; i < n; i++) {
            assertArrayEquals(random(3000, i), drainRw(2000 + i), "stream " + i);
        }
    }

    @Test
    void hostilePacketsAreDroppedOrResetAndNeverBreakTheDevice() throws Exception {
        ready();
        // too short for a header
        int d = txNext++ % QSIZE;
        tx.writeDescriptor(d, TX_BUF + (long) d * TX_SLOT, 10, 0, 0);
        tx.publish(d);
        tx.notifyDevice();
        pollWoken();
        // a wrong source or destination CID: dropped without a word
        sendRaw(new VsockHeader(7, 2, 1, 5000, 0, 1, OP_REQUEST, 0, 0, 0), new byte[0], VsockHeader.SIZE);
        sendRaw(new VsockHeader(CID, 9, 1, 5000, 0, 1, OP_REQUEST, 0, 0, 0), new byte[0], VsockHeader.SIZE);
        pollWoken();
        assertEquals(List.of(), received);
        // len beyond the chain, a huge len, an unknown type, an unknown connection: RST
        sendRaw(new VsockHeader(CID, 2, 11, 5000, 100, 1, OP_RW, 0, 0, 0), new byte[10], VsockHeader.SIZE + 10);
        sendRaw(new VsockHeader(CID, 2, 12, 5000, -1, 1, OP_RW, 0, 0, 0), new byte[0], VsockHeader.SIZE);
        sendRaw(new VsockHeader(CID, 2, 13, 5000, 0, 2, OP_REQUEST, 0, 0, 0), new byte[0], VsockHeader.SIZE);
        send(OP_RW, 14, 5000, 0, 0, 0, new byte[] {1});
        send(OP_SHUTDOWN, 15, 5000);
        send(OP_RST, 16, 5000); // RST for an unknown connection is not answered
        for (int port = 11; port <= 15; port++) {
            take(OP_RST, port);
        }
        assertEquals(null, find(OP_RST, 16));
        assertEquals(0, driver.status() & VirtioPciDriver.STATUS_DEVICE_NEEDS_RESET, "no protocol error");
        // and the device still works
        ServerSocketChannel l = hostListener(5007);
        guestConnect(l, 5007, 45, 1 << 20);
    }

    @Test
    void repliesWaitForRxBuffersAndTxStopsWhileTheyPileUp() throws Exception {
        assertTrue(driver.negotiate(VirtioPciDriver.F_VERSION_1));
        rx = driver.setUpQueue(0, QSIZE, RX_RINGS);
        tx = driver.setUpQueue(1, QSIZE, TX_RINGS);
        driver.driverOk(); // no rx buffers posted
        // each packet for an unknown connection earns an RST that has nowhere to go
        for (int i = 0; i <= VirtioVsock.MAX_CONTROL; i++) {
            send(OP_RW, 20000 + i, 5000, 0, 0, 0, new byte[0]);
        }
        assertEquals(VirtioVsock.MAX_CONTROL, tx.usedIndex(), "tx stopped once MAX_CONTROL replies waited");
        assertFalse(vsock.hasWork(VirtioVsock.TX));
        postRx(QSIZE);
        until("every reply", () -> received.size() == VirtioVsock.MAX_CONTROL + 1);
        assertEquals(VirtioVsock.MAX_CONTROL + 1, tx.usedIndex(), "tx resumed as the replies drained");
        assertTrue(received.stream().allMatch(p -> p.header().op() == OP_RST));
    }

    @Test
    void aStaleSocketFileIsReplacedButALiveListenerIsAnError() throws Exception {
        Path other = dir.resolve("w.sock");
        ServerSocketChannel live = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        live.bind(UnixDomainSocketAddress.of(other));
        IOException e = assertThrows(IOException.class, () -> HostSide.listen(other, board.waker()));
        assertTrue(e.getMessage().contains("already listens"), e.getMessage());
        live.close(); // the file stays: now stale
        assertTrue(Files.exists(other));
        HostSide h = HostSide.listen(other, board.waker());
        h.start("stale");
        h.stop();
        assertFalse(Files.exists(other), "removed on close");
        Path regular = Files.createFile(dir.resolve("file"));
        IOException notSocket = assertThrows(IOException.class, () -> HostSide.listen(regular, board.waker()));
        assertTrue(notSocket.getMessage().contains("not a socket"), notSocket.getMessage());
        assertTrue(Files.exists(regular), "never deleted");
    }

    @Test
    void aFifoOrALinkAtThePathIsAnErrorAndNeverDeleted() throws Exception {
        // a FIFO refuses a socket's connect just like a stale socket: only the file type tells them apart
        Path fifo = dir.resolve("fifo");
        Process p = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        assertEquals(0, p.waitFor(), "mkfifo");
        IOException e = assertThrows(IOException.class, () -> HostSide.listen(fifo, board.waker()));
        assertTrue(e.getMessage().contains("not a socket") && e.getMessage().contains(fifo.toString()), e.getMessage());
        assertTrue(Files.exists(fifo, java.nio.file.LinkOption.NOFOLLOW_LINKS), "the FIFO is never deleted");
        // a link to a stale socket is not the socket: not followed, not deleted
        Path stale = dir.resolve("stale.sock");
        ServerSocketChannel gone = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        gone.bind(UnixDomainSocketAddress.of(stale));
        gone.close();
        Path link = Files.createSymbolicLink(dir.resolve("link"), stale);
        assertThrows(IOException.class, () -> HostSide.listen(link, board.waker()));
        assertTrue(Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS) && Files.exists(stale));
    }

    @Test
    void aDriverResetClosesEveryStreamAndTheDeviceWorksAfterwards() throws Exception {
        ready();
        ServerSocketChannel l = hostListener(5009);
        SocketChannel s = guestConnect(l, 5009, 47, 1 << 20);
        SocketChannel client = hostClient(63);
        take(OP_REQUEST, 63); // a host client's stream the guest has not answered yet
        driver.setStatus(0); // §2.4: the driver resets the device
        assertEquals(0, vsock.connectionCount());
        // the host side's thread closes them (the vCPU thread that wrote the status does not)
        assertEquals(-1, s.read(ByteBuffer.allocate(1)), "the host socket is closed");
        assertTrue(closedWithin(client, 5), "the waiting host client is closed");
        received.clear();
        rxAddress.clear();
        ready();
        guestConnect(l, 5009, 48, 1 << 20);
        assertTrue(Files.exists(path), "still listening at PATH");
    }

    @Test
    void closeStopsTheThreadAndRemovesThePath() throws Exception {
        ready();
        ServerSocketChannel l = hostListener(5008);
        SocketChannel s = guestConnect(l, 5008, 46, 1 << 20);
        dev.close();
        assertFalse(Files.exists(path));
        assertEquals(-1, s.read(ByteBuffer.allocate(1)), "the host sockets are closed");
    }
}
