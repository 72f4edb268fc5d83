package io.jvmm.dev.virtionet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.PciAddress;
import io.jvmm.api.handles.TapHandle;
import io.jvmm.api.handles.VirtioNetHandle;
import io.jvmm.api.net.NetOffload;
import io.jvmm.testkit.FakeBoard;
import io.jvmm.testkit.FakeGuestMemory;
import io.jvmm.testkit.MapConfig;
import io.jvmm.testkit.VirtioPciDriver;
import io.jvmm.testkit.VirtioPciDriver.Queue;
import io.jvmm.testkit.VirtioPciDriver.Used;
import io.jvmm.virtio.VirtioPciDevice;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** virtio-net over the modern PCI transport on a fake backend, driven by the testkit's driver. */
class VirtioNetTest {
    static final int SLOT = 7;
    static final long RX_RINGS = 0x10000;
    static final long TX_RINGS = 0x18000;
    static final long RX_BUF = 0x100000; // receive buffers, 0x1000 apart
    static final long TX_BUF = 0x400000; // transmit frames, 0x20000 apart
    static final int QSIZE = 256;
    static final byte[] MAC = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
    static final int N = VirtioPciDriver.DESC_F_NEXT;
    static final long BASE = VirtioPciDriver.F_VERSION_1;
    static final Set<NetOffload> ALL = EnumSet.of(NetOffload.CSUM, NetOffload.TSO4, NetOffload.TSO6,
            NetOffload.TSO_ECN);

    final FakeGuestMemory ram = new FakeGuestMemory(32 << 20);
    final IndexWriteLog logged = new IndexWriteLog(ram);
    final FakeBoard board = new FakeBoard().withGuestMemory(logged);
    FakeNetBackend backend;
    VirtioNet net;
    VirtioPciDevice dev;
    VirtioPciDriver driver;
    Queue rx;
    Queue tx;
    int rxSlot;
    int txDesc;
    int txSlot;

    void open(Set<NetOffload> offloads) {
        backend = new FakeNetBackend(offloads);
        net = new VirtioNet("net", backend, MAC, logged);
        backend.setListener(net.listener(board.waker()));
        dev = new VirtioPciDevice("net", new PciAddress(0, SLOT, 0), net, board);
        driver = new VirtioPciDriver(dev, ram);
    }

    void ready(long features) {
        assertTrue(driver.negotiate(features));
        rx = driver.setUpQueue(0, QSIZE, RX_RINGS);
        tx = driver.setUpQueue(1, QSIZE, TX_RINGS);
        driver.driverOk();
    }

    /** Posts {@code n} receive buffers of {@code size} bytes; returns their addresses. */
    List<Long> post(int n, int size) {
        List<Long> at = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long a = RX_BUF + 0x1000L * (rxSlot++ % 512);
            rx.addWritable(a, size);
            at.add(a);
        }
        return at;
    }

    /** A frame for the guest: a header (zero but for {@code flags}) then {@code payload} seeded bytes. */
    static byte[] frame(int payload, int seed) {
        byte[] f = new byte[VirtioNet.HEADER + payload];
        new Random(seed).nextBytes(f);
        Arrays.fill(f, 0, VirtioNet.HEADER, (byte) 0);
        return f;
    }

    /** Links readable buffers holding {@code pieces} (their lengths) of {@code data} and publishes the chain. */
    int transmit(byte[] data, int... pieces) throws Exception {
        long at = TX_BUF + 0x20000L * (txSlot++ % 64);
        ram.write(at, data, 0, data.length);
        int head = txDesc;
        int off = 0;
        for (int k = 0; k < pieces.length; k++) {
            int i = (head + k) % QSIZE;
            boolean last = k == pieces.length - 1;
            tx.writeDescriptor(i, at + off, pieces[k], last ? 0 : N, last ? 0 : (i + 1) % QSIZE);
            off += pieces[k];
        }
        txDesc = (head + pieces.length) % QSIZE;
        tx.publish(head);
        return head;
    }

    byte[] ramAt(long at, int n) throws Exception {
        byte[] b = new byte[n];
        ram.read(at, b, 0, n);
        return b;
    }

    void poll() {
        dev.poll();
    }

    @Test
    void configurationAndFeaturesFollowTheBackend() {
        open(ALL);
        assertEquals(0x1041, dev.info().deviceId(), "§4.1.2: 0x1040 + 1");
        byte[] config = new byte[8];
        dev.barRead(0, VirtioPciDevice.DEVICE_OFFSET, config);
        assertArrayEquals(MAC, Arrays.copyOf(config, 6), "mac");
        assertEquals(VirtioNet.S_LINK_UP, config[6] | config[7] << 8, "status: link up");
        long f = driver.deviceFeatures();
        long want = VirtioNet.F_MAC | VirtioNet.F_STATUS | VirtioNet.F_MRG_RXBUF | VirtioNet.F_CSUM
                | VirtioNet.F_GUEST_CSUM | VirtioNet.F_HOST_TSO4 | VirtioNet.F_GUEST_TSO4 | VirtioNet.F_HOST_TSO6
                | VirtioNet.F_GUEST_TSO6 | VirtioNet.F_HOST_ECN | VirtioNet.F_GUEST_ECN;
        assertEquals(want, f & 0xFFFF_FFFFL & ~(VirtioPciDriver.F_RING_INDIRECT_DESC | VirtioPciDriver.F_EVENT_IDX));

        open(EnumSet.noneOf(NetOffload.class));
        assertEquals(VirtioNet.F_MAC | VirtioNet.F_STATUS | VirtioNet.F_MRG_RXBUF,
                driver.deviceFeatures() & 0xFFFF_FFFFL & ~(VirtioPciDriver.F_RING_INDIRECT_DESC
                        | VirtioPciDriver.F_EVENT_IDX), "no offload without the backend's");
        open(EnumSet.of(NetOffload.TSO4));
        assertEquals(0, driver.deviceFeatures() & (VirtioNet.F_HOST_TSO4 | VirtioNet.F_GUEST_TSO4),
                "§5.1.3.1: TSO needs CSUM");
    }

    @Test
    void theDriversReceiveOffloadsReachTheBackendBeforeAFrameAndAfterAReset() {
        open(ALL);
        ready(BASE | VirtioNet.F_GUEST_CSUM | VirtioNet.F_GUEST_TSO4 | VirtioNet.F_MRG_RXBUF);
        post(1, 2048);
        rx.notifyDevice();
        poll();
        assertEquals(List.of(EnumSet.of(NetOffload.CSUM, NetOffload.TSO4)), backend.offloadCalls);
        assertEquals(1, backend.receiveCalls, "after the offloads were set");
        ready(BASE | VirtioNet.F_MRG_RXBUF); // a reset and a driver that takes no offload
        post(1, 2048);
        rx.notifyDevice();
        poll();
        assertEquals(EnumSet.noneOf(NetOffload.class), backend.receiveOffloads, "the new driver's: none");
        assertEquals(2, backend.offloadCalls.size());
    }

    @Test
    void aFrameFillsOneBufferWithoutMergeableBuffers() throws Exception {
        open(ALL);
        ready(BASE);
        List<Long> bufs = post(2, 2048);
        byte[] f = frame(100, 1);
        backend.toGuest.add(f);
        rx.notifyDevice();
        poll();
        assertEquals(List.of(new Used(0, f.length)), rx.takeUsed());
        byte[] got = ramAt(bufs.get(0), f.length);
        assertEquals(1, got[10] | got[11] << 8, "§5.1.6.4: num_buffers 1");
        got[10] = 0;
        assertArrayEquals(f, got);
    }

    @Test
    void aLargeFrameSpansMergeableBuffersWithNumBuffersInTheFirst() throws Exception {
        open(ALL);
        ready(BASE | VirtioNet.F_MRG_RXBUF);
        List<Long> bufs = post(8, 1536);
        byte[] f = frame(5000 - VirtioNet.HEADER, 2);
        byte[] small = frame(60, 3);
        backend.toGuest.add(f);
        backend.toGuest.add(small);
        rx.notifyDevice();
        poll();
        assertEquals(List.of(new Used(0, 1536), new Used(1, 1536), new Used(2, 1536), new Used(3, 5000 - 3 * 1536),
                new Used(4, small.length)), rx.takeUsed());
        byte[] got = new byte[5000];
        for (int i = 0; i < 4; i++) {
            int n = Math.min(1536, 5000 - 1536 * i);
            System.arraycopy(ramAt(bufs.get(i), n), 0, got, 1536 * i, n);
        }
        assertEquals(4, got[10] | got[11] << 8, "num_buffers");
        got[10] = 0;
        assertArrayEquals(f, got);
        byte[] second = ramAt(bufs.get(4), small.length);
        assertEquals(1, second[10]);
        assertEquals(2, net.rxFrames());
    }

    @Test
    void theBuffersOfOneFrameBecomeUsedInOneStepOfTheUsedIndex() throws Exception {
        open(ALL);
        ready(BASE | VirtioNet.F_MRG_RXBUF);
        // the testkit driver's layout: table, driver ring, then the 4-aligned device ring; idx at +2
        long avail = RX_RINGS + 16L * QSIZE;
        logged.watched = ((avail + 6 + 2L * QSIZE + 3) & ~3L) + 2;
        post(8, 1536);
        backend.toGuest.add(frame(5000 - VirtioNet.HEADER, 5)); // 4 buffers
        backend.toGuest.add(frame(3000 - VirtioNet.HEADER, 6)); // 2 buffers
        rx.notifyDevice();
        poll();
        // §5.1.6.4.2: a driver must never see 1..3 of the first frame's 4 buffers (Linux: "rx error:
        // N buffers out of M missing", the frame dropped)
        assertEquals(List.of(4, 6), logged.values, "used.idx moves once per frame, by its num_buffers");
        assertEquals(6, rx.takeUsed().size());
        assertEquals(2, net.rxFrames());
    }

    @Test
    void withoutBuffersNothingIsReadAndAFrameWaitsForEnoughBuffers() throws Exception {
        open(ALL);
        ready(BASE | VirtioNet.F_MRG_RXBUF);
        byte[] f = frame(4000, 4);
        backend.toGuest.add(f);
        backend.listener.readable(); // the backend has a frame, the guest no buffer
        poll();
        assertEquals(0, backend.receiveCalls, "no buffer posted: the frame stays in the backend");
        assertEquals(1, backend.toGuest.size());

        post(2, 1536); // 3072 bytes: too few for 4012
        rx.notifyDevice();
        poll();
        assertEquals(List.of(), rx.takeUsed(), "half a frame is not used");
        assertEquals(0, backend.toGuest.size(), "but the frame was read and is held");
        post(1, 1536);
        rx.notifyDevice();
        poll();
        assertEquals(List.of(new Used(0, 1536), new Used(1, 1536), new Used(2, f.length - 3072)), rx.takeUsed());
        assertEquals(0, net.rxDropped(), "nothing the guest had room for was dropped");
    }

    @Test
    void aBufferThatIsTooSmallDropsTheFrameWithoutMergeableBuffersAndIsReused() throws Exception {
        open(ALL);
        ready(BASE);
        post(1, 512);
        backend.toGuest.add(frame(1000, 5));
        byte[] small = frame(200, 6);
        backend.toGuest.add(small);
        rx.notifyDevice();
        poll();
        assertEquals(List.of(new Used(0, small.length)), rx.takeUsed());
        assertEquals(1, net.rxDropped());
    }

    @Test
    void aMergeableBufferSmallerThanTheHeaderNeedsAReset() {
        open(ALL);
        ready(BASE | VirtioNet.F_MRG_RXBUF);
        post(1, 8);
        backend.toGuest.add(frame(60, 7));
        rx.notifyDevice();
        poll();
        assertTrue((driver.status() & VirtioPciDriver.STATUS_DEVICE_NEEDS_RESET) != 0);
    }

    @Test
    void readableWakesTheReceiveQueueOnceAFrameArrives() throws Exception {
        open(ALL);
        ready(BASE | VirtioNet.F_MRG_RXBUF);
        post(4, 1536);
        rx.notifyDevice();
        poll(); // buffer popped, nothing to read
        assertEquals(List.of(), rx.takeUsed());
        byte[] f = frame(300, 8);
        backend.toGuest.add(f);
        poll();
        assertEquals(List.of(), rx.takeUsed(), "no signal yet: the device does not spin on the backend");
        backend.listener.readable();
        assertTrue(board.waker().wakes() > 0);
        poll();
        assertEquals(List.of(new Used(0, f.length)), rx.takeUsed());
    }

    @Test
    void aRunOfBadFramesIsLookedAtAgainOnTheNextTurnWithoutANotification() throws Exception {
        open(ALL);
        ready(BASE | VirtioNet.F_MRG_RXBUF);
        post(4, 1536);
        for (int i = 0; i < VirtioNet.FRAMES_PER_CALL; i++) {
            backend.toGuest.add(new byte[4]); // shorter than a header: dropped and counted
        }
        byte[] f = frame(300, 11);
        backend.toGuest.add(f);
        rx.notifyDevice();
        int wakes = board.waker().wakes();
        poll();
        assertEquals(List.of(), rx.takeUsed(), "one turn's budget went on bad frames");
        assertEquals(VirtioNet.FRAMES_PER_CALL, net.rxDropped());
        assertTrue(board.waker().wakes() > wakes, "the device asked for another turn (nothing else would wake it)");
        poll();
        assertEquals(List.of(new Used(0, f.length)), rx.takeUsed());
    }

    @Test
    void aFailedReceiveIsRetriedOnTheNextTurn() throws Exception {
        open(ALL);
        ready(BASE | VirtioNet.F_MRG_RXBUF);
        post(4, 1536);
        byte[] f = frame(300, 12);
        backend.toGuest.add(f);
        backend.failReceives = 2;
        rx.notifyDevice();
        int wakes = board.waker().wakes();
        poll();
        assertEquals(1, backend.receiveCalls, "one try per turn, not a loop on a failing backend");
        assertTrue(board.waker().wakes() > wakes, "a failed read asks for another turn");
        wakes = board.waker().wakes();
        poll();
        assertTrue(board.waker().wakes() > wakes);
        poll();
        assertEquals(List.of(new Used(0, f.length)), rx.takeUsed(), "received once the failure passed, "
                + "without a notification or the listener");
        assertEquals(2, net.rxDropped(), "each failure counted");
    }

    @Test
    void aBackendGoneForGoodStopsReceivingWithoutSpinning() throws Exception {
        open(ALL);
        ready(BASE | VirtioNet.F_MRG_RXBUF);
        post(4, 1536);
        backend.gone = true;
        rx.notifyDevice();
        int wakes = board.waker().wakes();
        poll();
        assertEquals(wakes, board.waker().wakes(), "no other turn asked for");
        backend.listener.readable(); // the TAP's poller tells the device once
        post(1, 1536);
        rx.notifyDevice();
        poll();
        poll();
        assertEquals(1, backend.receiveCalls, "nothing more is read from a backend that is gone");
        assertEquals(List.of(), rx.takeUsed());
    }

    /** A received frame with header {@code flags} and {@code gso_type}. */
    static byte[] frameWith(int flags, int gsoType, int seed) {
        byte[] f = frame(100, seed);
        f[0] = (byte) flags;
        f[1] = (byte) gsoType;
        return f;
    }

    /** Posts a buffer per frame, hands the frames to the device; the headers of those delivered. */
    List<byte[]> receiveHeaders(byte[]... frames) throws Exception {
        List<Long> bufs = post(frames.length, 1536);
        for (byte[] f : frames) {
            backend.toGuest.add(f);
        }
        rx.notifyDevice();
        poll();
        List<byte[]> headers = new ArrayList<>();
        for (Used u : rx.takeUsed()) {
            headers.add(ramAt(bufs.get(u.id() % frames.length), VirtioNet.HEADER));
        }
        return headers;
    }

    @Test
    void withoutGuestOffloadsReceivedHeadersCarryNoFlagsAndNoGso() throws Exception {
        open(ALL);
        ready(BASE | VirtioNet.F_MRG_RXBUF); // §5.1.6.4.1: no GUEST_CSUM, no GUEST_TSO*
        List<byte[]> got = receiveHeaders(
                frameWith(VirtioNet.HDR_F_DATA_VALID, 0, 20), // whole and checked: delivered, flag cleared
                frameWith(VirtioNet.HDR_F_NEEDS_CSUM, 0, 21), // a partial checksum it cannot finish: dropped
                frameWith(0, VirtioNet.GSO_TCPV4, 22), // a 64 KiB segment it cannot take: dropped
                frameWith(4, 0, 23)); // RSC_INFO, never offered: cleared
        assertEquals(2, got.size(), "two frames delivered");
        for (byte[] h : got) {
            assertEquals(0, h[0], "flags 0 without GUEST_CSUM");
            assertEquals(VirtioNet.GSO_NONE, h[1], "gso_type NONE without GUEST_TSO*");
        }
        assertEquals(2, net.rxDropped());
    }

    @Test
    void negotiatedOffloadsPassThroughAndOthersDoNot() throws Exception {
        open(ALL);
        ready(BASE | VirtioNet.F_MRG_RXBUF | VirtioNet.F_GUEST_CSUM | VirtioNet.F_GUEST_TSO4);
        List<byte[]> got = receiveHeaders(
                frameWith(VirtioNet.HDR_F_NEEDS_CSUM, VirtioNet.GSO_TCPV4, 30), // negotiated: unchanged
                frameWith(VirtioNet.HDR_F_NEEDS_CSUM, VirtioNet.GSO_TCPV6, 31), // no GUEST_TSO6: dropped
                frameWith(VirtioNet.HDR_F_NEEDS_CSUM, VirtioNet.GSO_TCPV4 | VirtioNet.GSO_ECN, 32), // no GUEST_ECN
                frameWith(VirtioNet.HDR_F_DATA_VALID | 4, 0, 33)); // DATA_VALID kept, RSC_INFO cleared
        assertEquals(2, got.size());
        assertEquals(VirtioNet.HDR_F_NEEDS_CSUM, got.get(0)[0]);
        assertEquals(VirtioNet.GSO_TCPV4, got.get(0)[1]);
        assertEquals(VirtioNet.HDR_F_DATA_VALID, got.get(1)[0]);
        assertEquals(2, net.rxDropped());
    }

    @Test
    void eachTransmitChainIsOneFrameThroughViewsOrACopy() throws Exception {
        open(ALL);
        ready(BASE | VirtioNet.F_MRG_RXBUF);
        byte[] f = frame(1400, 9);
        f[0] = 1; // NEEDS_CSUM passes through
        int h1 = transmit(f, VirtioNet.HEADER, 700, 700);
        byte[] big = frame(20000, 10); // crosses fake pages: the copying path
        int h2 = transmit(big, big.length);
        tx.notifyDevice();
        poll();
        assertEquals(List.of(new Used(h1, 0), new Used(h2, 0)), tx.takeUsed());
        assertEquals(2, backend.fromGuest.size());
        assertArrayEquals(f, backend.fromGuest.get(0));
        assertArrayEquals(big, backend.fromGuest.get(1));
    }

    @Test
    void aFullBackendKeepsTheChainUntilItIsWritable() throws Exception {
        open(ALL);
        ready(BASE);
        backend.full = true;
        byte[] f = frame(100, 11);
        int h = transmit(f, f.length);
        tx.notifyDevice();
        poll();
        assertEquals(List.of(), tx.takeUsed(), "held");
        poll();
        assertEquals(List.of(), tx.takeUsed());
        backend.full = false;
        backend.listener.writable();
        poll();
        assertEquals(List.of(new Used(h, 0)), tx.takeUsed());
        assertArrayEquals(f, backend.fromGuest.get(0));
    }

    @Test
    void hostileOrRejectedTransmitChainsAreReturnedAndCounted() throws Exception {
        open(ALL);
        ready(BASE);
        int tiny = transmit(new byte[4], 4);
        byte[] huge = new byte[VirtioNet.TX_FRAME_MAX + 1];
        int tooBig = transmit(huge, 65536, huge.length - 65536);
        int writableOnly = txDesc;
        tx.writeDescriptor(writableOnly, TX_BUF, 100, VirtioPciDriver.DESC_F_WRITE, 0);
        txDesc++;
        tx.publish(writableOnly);
        backend.reject = 1;
        byte[] rejected = frame(50, 12);
        int r = transmit(rejected, rejected.length);
        byte[] ok = frame(50, 13);
        int o = transmit(ok, ok.length);
        tx.notifyDevice();
        poll();
        assertEquals(List.of(new Used(tiny, 0), new Used(tooBig, 0), new Used(writableOnly, 0), new Used(r, 0),
                new Used(o, 0)), tx.takeUsed());
        assertEquals(4, net.txErrors());
        assertEquals(1, backend.fromGuest.size());
        assertArrayEquals(ok, backend.fromGuest.get(0));
        assertEquals(0, driver.status() & VirtioPciDriver.STATUS_DEVICE_NEEDS_RESET);
    }

    @Test
    void oneCallMovesAtMostABudgetOfFrames() throws Exception {
        open(ALL);
        ready(BASE);
        for (int i = 0; i < 100; i++) {
            transmit(frame(60, 100 + i), 72);
        }
        tx.notifyDevice();
        poll();
        assertEquals(VirtioNet.FRAMES_PER_CALL, tx.takeUsed().size());
        poll();
        assertEquals(100 - VirtioNet.FRAMES_PER_CALL, tx.takeUsed().size(), "the transport calls again");
    }

    @Test
    void theHandleReadsAndWritesItsConfig() {
        VirtioNetHandle h = VirtioNetHandle.parse(new MapConfig(Map.of("pci_device", 8, "mac", "52:54:00:AB:CD:EF",
                "backend", new TapHandle("tap0").toResource())));
        assertEquals(8, h.pciDevice());
        assertEquals("52:54:00:ab:cd:ef", h.mac());
        assertArrayEquals(new byte[] {0x52, 0x54, 0, (byte) 0xab, (byte) 0xcd, (byte) 0xef}, h.macBytes());
        assertEquals(new TapHandle("tap0").toResource(), h.backend());
        assertTrue(VirtioNetHandle.macProblem("53:54:00:00:00:01").contains("multicast"));
        assertTrue(VirtioNetHandle.macProblem("52:54:00:00:00").contains("six hex bytes"));
        assertTrue(TapHandle.nameProblem("0123456789abcdef").contains("longer than 15"));
        assertTrue(TapHandle.nameProblem("a b") != null);
    }
}
