package io.jvmm.dev.virtiovsock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.IoData;
import io.jvmm.api.device.PciAddress;
import io.jvmm.api.device.SavedStateBlob;
import io.jvmm.testkit.FakeBoard;
import io.jvmm.testkit.FakeGuestMemory;
import io.jvmm.testkit.TestTime;
import io.jvmm.testkit.VirtioPciDriver;
import io.jvmm.testkit.VirtioRestoreHarness;
import io.jvmm.testkit.VirtioRestoreHarness.Chain;
import io.jvmm.testkit.VirtioRestoreHarness.UsedChain;
import io.jvmm.virtio.VirtioPciDevice;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * virtio-vsock across a save and a restore (issue 19): streams are not carried over, and the
 * restored device tells the guest's driver so with VIRTIO_VSOCK_EVENT_TRANSPORT_RESET in an event
 * buffer (virtio 1.2 §5.10.6.6), seen here by the guest-side fake; the old streams' packets get
 * RST; the configuration shows the new run's guest CID.
 */
class VirtioVsockSaveRestoreTest {
    static final int SLOT = 3;
    static final long CID = 3;
    static final int HOST_PORT = 1234;
    static final int GUEST_PORT = 5000;

    final Path dir;
    final List<VirtioPciDevice> devices = new ArrayList<>();
    final List<AutoCloseable> sockets = new ArrayList<>();

    VirtioVsockSaveRestoreTest() throws IOException {
        dir = Files.createTempDirectory(Path.of("/tmp"), "vsock-snap");
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable s : sockets) {
            s.close();
        }
        devices.forEach(VirtioPciDevice::close);
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.deleteIfExists(p);
            }
        }
        Files.deleteIfExists(dir);
    }

    record Rig(FakeBoard board, VirtioPciDevice device, Path path) {}

    Rig rig(FakeGuestMemory ram, long cid, String name) throws IOException {
        FakeBoard board = new FakeBoard().withGuestMemory(ram);
        Path path = dir.resolve(name);
        HostSide host = HostSide.listen(path, board.waker());
        VirtioVsock vsock = new VirtioVsock("vsock0", cid, path.toString(), ram, board.waker(), host);
        host.start("vsock-snap-test");
        VirtioPciDevice d = new VirtioPciDevice("vsock0", new PciAddress(0, SLOT, 0), vsock, board);
        devices.add(d);
        return new Rig(board, d, path);
    }

    static byte[] packet(int op, int srcPort, int dstPort, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(VsockHeader.SIZE + payload.length).order(ByteOrder.LITTLE_ENDIAN);
        new VsockHeader(CID, VirtioVsock.HOST_CID, srcPort, dstPort, payload.length, VsockHeader.TYPE_STREAM, op, 0,
                65536, 0).write(b);
        b.put(payload);
        return b.array();
    }

    static VsockHeader header(UsedChain u) {
        return VsockHeader.read(ByteBuffer.wrap(u.written(), 0, VsockHeader.SIZE).order(ByteOrder.LITTLE_ENDIAN));
    }

    /** Polls and collects until a used chain matches, within the test deadline. */
    static UsedChain await(VirtioRestoreHarness h, String what, Predicate<UsedChain> match) {
        long end = System.nanoTime() + TestTime.seconds(10).toNanos();
        while (true) {
            for (UsedChain u : h.used()) {
                if (match.test(u)) {
                    return u;
                }
            }
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting for " + what + "; used " + h.used());
            }
            h.poll();
            h.collect();
            Thread.onSpinWait();
        }
    }

    static boolean isOp(UsedChain u, int op, int dstPort) {
        return u.queue() == VirtioVsock.RX && u.length() >= VsockHeader.SIZE && header(u).op() == op
                && header(u).dstPort() == dstPort;
    }

    @Test
    void theRestoredDeviceSendsTransportResetAndForgetsTheStreams() throws Exception {
        FakeGuestMemory ram = new FakeGuestMemory(VirtioRestoreHarness.MEMORY);
        Rig a = rig(ram, CID, "a.sock");
        ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        sockets.add(listener);
        listener.bind(UnixDomainSocketAddress.of(a.path() + "_" + HOST_PORT));

        VirtioRestoreHarness h = new VirtioRestoreHarness(ram, a.board(), a.device());
        h.start(VirtioPciDriver.F_VERSION_1 | VirtioPciDriver.F_EVENT_IDX, false, 16, 16, 4);
        for (int i = 0; i < 8; i++) {
            h.post(VirtioVsock.RX, new Chain(List.of(), new int[] {VsockHeader.SIZE + 512}));
        }
        h.post(VirtioVsock.EVENT, new Chain(List.of(), new int[] {2})); // too small for an event
        h.post(VirtioVsock.EVENT, new Chain(List.of(), new int[] {8}));
        h.post(VirtioVsock.EVENT, new Chain(List.of(), new int[] {8}));
        h.kick(VirtioVsock.RX);
        h.kick(VirtioVsock.EVENT);
        h.post(VirtioVsock.TX, new Chain(List.of(packet(VsockHeader.OP_REQUEST, GUEST_PORT, HOST_PORT, new byte[0])),
                new int[0]));
        h.kick(VirtioVsock.TX);
        await(h, "RESPONSE", u -> isOp(u, VsockHeader.OP_RESPONSE, GUEST_PORT));
        SocketChannel hostEnd = listener.accept();
        sockets.add(hostEnd);
        h.post(VirtioVsock.TX, new Chain(List.of(packet(VsockHeader.OP_RW, GUEST_PORT, HOST_PORT, "hi".getBytes())),
                new int[0]));
        h.kick(VirtioVsock.TX);
        h.poll();
        assertEquals("hi", new String(readFully(hostEnd, 2)), "a live stream before the snapshot");
        assertTrue(h.used().stream().noneMatch(u -> u.queue() == VirtioVsock.EVENT), "no event while running");
        // a packet the old device never saw (posted, not processed) belongs to the old stream too
        h.post(VirtioVsock.TX, new Chain(List.of(packet(VsockHeader.OP_RW, GUEST_PORT, HOST_PORT, "lost".getBytes())),
                new int[0]));
        SavedStateBlob blob = h.save();
        a.device().close(); // the old process is gone, its sockets with it
        devices.remove(a.device());

        Rig b = rig(ram, CID, "b.sock");
        b.device().restore(blob);
        h.switchTo(b.board(), b.device());
        UsedChain event = await(h, "TRANSPORT_RESET", u -> u.queue() == VirtioVsock.EVENT && u.length() > 0);
        assertEquals(4, event.length(), "struct virtio_vsock_event");
        assertEquals(VirtioVsock.EVENT_TRANSPORT_RESET, (int) IoData.get(java.util.Arrays.copyOf(event.written(), 4)));
        long events = h.used().stream().filter(u -> u.queue() == VirtioVsock.EVENT).count();
        assertEquals(2, events, "the too-small buffer returned unused, then one event; one buffer left");
        assertEquals(0, h.used().stream().filter(u -> u.queue() == VirtioVsock.EVENT).findFirst().orElseThrow().length());
        await(h, "RST for the old stream's packet", u -> isOp(u, VsockHeader.OP_RST, GUEST_PORT));
        for (int i = 0; i < 20; i++) {
            h.poll();
            h.collect();
        }
        assertEquals(2, h.used().stream().filter(u -> u.queue() == VirtioVsock.EVENT).count(), "one event only");
    }

    @Test
    void anotherGuestCidIsShownAfterTheRestore() throws Exception {
        FakeGuestMemory ram = new FakeGuestMemory(VirtioRestoreHarness.MEMORY);
        Rig a = rig(ram, CID, "a.sock");
        VirtioRestoreHarness h = new VirtioRestoreHarness(ram, a.board(), a.device());
        h.start(VirtioPciDriver.F_VERSION_1, false, 16, 16, 4);
        h.post(VirtioVsock.EVENT, new Chain(List.of(), new int[] {4}));
        h.kick(VirtioVsock.EVENT);
        SavedStateBlob blob = h.save();
        Rig b = rig(ram, 7, "b.sock");
        b.device().restore(blob);
        h.switchTo(b.board(), b.device());
        await(h, "TRANSPORT_RESET", u -> u.queue() == VirtioVsock.EVENT && u.length() == 4);
        byte[] cid = new byte[8];
        b.device().barRead(VirtioPciDevice.BAR, VirtioPciDevice.DEVICE_OFFSET, cid);
        assertEquals(7, IoData.get(cid), "the driver re-reads the guest CID on the event");
    }

    @Test
    void aDriverResetBeforeTheEventDropsIt() throws Exception {
        FakeGuestMemory ram = new FakeGuestMemory(VirtioRestoreHarness.MEMORY);
        Rig a = rig(ram, CID, "a.sock");
        VirtioRestoreHarness h = new VirtioRestoreHarness(ram, a.board(), a.device());
        h.start(VirtioPciDriver.F_VERSION_1, false, 16, 16, 4);
        SavedStateBlob blob = h.save();
        Rig b = rig(ram, CID, "b.sock");
        b.device().restore(blob);
        VirtioRestoreHarness fresh = new VirtioRestoreHarness(ram, b.board(), b.device());
        fresh.start(VirtioPciDriver.F_VERSION_1, false, 16, 16, 4); // a new driver: reset, set up again
        fresh.post(VirtioVsock.EVENT, new Chain(List.of(), new int[] {4}));
        fresh.kick(VirtioVsock.EVENT);
        fresh.poll();
        fresh.collect();
        assertTrue(fresh.used().isEmpty(), "a new driver has no connections to drop: " + fresh.used());
    }

    @Test
    void hostileBlobsAreRefusedAndChangeNothing() throws Exception {
        FakeGuestMemory ram = new FakeGuestMemory(VirtioRestoreHarness.MEMORY);
        Rig a = rig(ram, CID, "a.sock");
        VirtioRestoreHarness h = new VirtioRestoreHarness(ram, a.board(), a.device());
        h.start(VirtioPciDriver.F_VERSION_1, false, 16, 16, 4);
        SavedStateBlob good = h.save();
        int[] n = {0};
        VirtioRestoreHarness.assertHostileBlobsRefused(good, () -> {
            try {
                return rig(ram, CID, "t" + n[0]++ + ".sock").device();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, 13, 500);
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
}
