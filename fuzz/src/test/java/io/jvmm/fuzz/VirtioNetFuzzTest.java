package io.jvmm.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.PciFunction;
import io.jvmm.api.handles.TapHandle;
import io.jvmm.api.handles.VirtioNetHandle;
import io.jvmm.api.net.NetBackend;
import io.jvmm.api.net.NetBackendListener;
import io.jvmm.api.net.NetOffload;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.dev.virtionet.VirtioNetResolver;
import io.jvmm.testkit.FakeBoard;
import io.jvmm.testkit.FakeGuestMemory;
import io.jvmm.testkit.VirtioPciDriver;
import io.jvmm.virtio.VirtioPciDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * virtio-net's packet paths (dev-virtio-net, resolved through its resolver on an in-memory backend)
 * fed by a hostile driver and a hostile host: receive chains of any shape (tiny, readable parts,
 * split headers), transmit chains of any length and direction, host frames of any size (shorter
 * than a header, larger than any buffer), a backend that fills up, rejects frames, or wakes the
 * device at random, and resets in between. Checks:
 *
 * <ul>
 *   <li>nothing escapes the device, and DEVICE_NEEDS_RESET comes only after the driver broke the
 *       protocol (a mergeable receive buffer smaller than the 12-byte header, §5.1.6.3.1);
 *   <li>every used receive length is at most the chain's writable bytes, every transmit one 0;
 *   <li>each frame the backend was sent is exactly the readable bytes of a returned transmit chain of
 *       12..65562 bytes;
 *   <li>the frames the guest receives (joined by {@code num_buffers} with MRG_RXBUF) are, in order,
 *       frames the host handed out (some may be dropped, none altered or reordered).
 * </ul>
 *
 * Without {@code JAZZER_FUZZ=1} (i.e. in {@code mvn verify}) it replays the committed inputs under
 * {@code VirtioNetFuzzTestInputs/packets/}.
 */
class VirtioNetFuzzTest {
    private static final int RAM = 0x90000; // a zero-length buffer at the end of the last slot is still in RAM
    private static final int QUEUE = 16;
    private static final long RX_RINGS = 0;
    private static final long TX_RINGS = 0x1000;
    private static final long RX_BUFFERS = 0x2000; // 16 slots of 0x1000
    private static final long TX_BUFFERS = 0x20000; // 16 slots of 0x6000
    private static final int HEADER = 12;
    private static final int TX_MAX = HEADER + 65550;
    private static final long F_MRG_RXBUF = 1L << 15;
    private static final int MAX_STEPS = 96;

    /** A chain as the driver posted it: its buffers, and which are writable. */
    private record Chain(long[] addr, int[] len, boolean[] writable) {
        long writableBytes() {
            long n = 0;
            for (int i = 0; i < len.length; i++) {
                n += writable[i] ? len[i] : 0;
            }
            return n;
        }

        byte[] readableBytes(FakeGuestMemory ram) throws Exception {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            for (int i = 0; i < len.length; i++) {
                if (!writable[i]) {
                    byte[] b = new byte[len[i]];
                    ram.read(addr[i], b, 0, len[i]);
                    out.write(b);
                }
            }
            return out.toByteArray();
        }

        /** The first {@code n} writable bytes. */
        byte[] written(FakeGuestMemory ram, long n) throws Exception {
            byte[] out = new byte[(int) n];
            int at = 0;
            for (int i = 0; i < len.length && at < n; i++) {
                if (writable[i]) {
                    int m = (int) Math.min(len[i], n - at);
                    ram.read(addr[i], out, at, m);
                    at += m;
                }
            }
            return out;
        }
    }

    /** The host side: frames for the guest from the fuzzer, frames from the guest recorded. */
    private static final class Backend implements NetBackend {
        final Deque<byte[]> toGuest = new ArrayDeque<>();
        final List<byte[]> handedOut = new ArrayList<>();
        final List<byte[]> sent = new ArrayList<>();
        boolean full;
        boolean rejectNext;
        NetBackendListener listener;

        @Override
        public Set<NetOffload> offloads() {
            return EnumSet.of(NetOffload.CSUM, NetOffload.TSO4, NetOffload.TSO6);
        }

        @Override
        public void setReceiveOffloads(Set<NetOffload> offloads) throws IOException {
            if (!offloads().containsAll(offloads)) {
                throw new AssertionError("offloads the backend does not have were asked for: " + offloads);
            }
        }

        @Override
        public int receive(ByteBuffer[] buffers, int count) {
            byte[] f = toGuest.poll();
            if (f == null) {
                return 0;
            }
            int at = 0;
            for (int i = 0; i < count && at < f.length; i++) {
                int n = Math.min(buffers[i].remaining(), f.length - at);
                buffers[i].put(f, at, n);
                at += n;
            }
            handedOut.add(f);
            return f.length;
        }

        @Override
        public boolean send(ByteBuffer[] buffers, int count) throws IOException {
            if (full) {
                return false;
            }
            if (rejectNext) {
                rejectNext = false;
                throw new IOException("rejected");
            }
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            for (int i = 0; i < count; i++) {
                byte[] b = new byte[buffers[i].remaining()];
                buffers[i].get(b);
                out.write(b, 0, b.length);
            }
            sent.add(out.toByteArray());
            return true;
        }

        @Override
        public void setListener(NetBackendListener listener) {
            this.listener = listener;
        }

        @Override
        public String name() {
            return "fuzz";
        }

        @Override
        public void close() {}
    }

    @FuzzTest(maxDuration = "5m")
    void packets(FuzzedDataProvider data) throws Exception {
        FakeGuestMemory ram = new FakeGuestMemory(RAM);
        FakeBoard board = new FakeBoard().withGuestMemory(ram);
        Backend backend = new Backend();
        ChipsetDevice device = new VirtioNetResolver().resolve(
                new VirtioNetHandle(7, "52:54:00:12:34:56", new TapHandle("fuzz0").toResource()),
                board.context("virtio-net", Map.of(ResourceKinds.NET_BACKEND, backend)));
        PciFunction function = device.capabilities().pciFunction().orElseThrow();
        VirtioPciDevice dev = (VirtioPciDevice) device;
        VirtioPciDriver driver = new VirtioPciDriver(function, ram);
        long features = VirtioPciDriver.F_VERSION_1 | (data.consumeLong() & driver.deviceFeatures() & 0xFFFF_FFFFL);
        driver.negotiate(features);
        boolean mergeable = (features & F_MRG_RXBUF) != 0;
        VirtioPciDriver.Queue rx = driver.setUpQueue(0, QUEUE, RX_RINGS);
        VirtioPciDriver.Queue tx = driver.setUpQueue(1, QUEUE, TX_RINGS);
        driver.driverOk();

        Map<Integer, Chain> rxInFlight = new HashMap<>();
        Map<Integer, Chain> txInFlight = new HashMap<>();
        List<byte[]> txExpected = new ArrayList<>();
        List<byte[]> rxReceived = new ArrayList<>(); // each used receive chain's bytes, as it came back
        boolean violated = false;
        int rxNext = 0;
        int txNext = 0;
        int rxSlot = 0;
        int txSlot = 0;
        for (int step = 0; step < MAX_STEPS && data.remainingBytes() > 0; step++) {
            switch (data.consumeInt(0, 7)) {
                case 0 -> { // a receive chain
                    int n = data.consumeInt(1, 3);
                    if (descriptors(rxInFlight) + n > QUEUE) {
                        break; // a driver reuses only descriptors the device gave back
                    }
                    long base = RX_BUFFERS + 0x1000L * (rxSlot++ % 16);
                    Chain c = chain(data, base, 0x1000, n, true);
                    if (mergeable && c.writableBytes() < HEADER) {
                        violated = true;
                    }
                    rxInFlight.put(publish(rx, rxNext, c), c);
                    rxNext = (rxNext + n) % QUEUE;
                }
                case 1 -> { // a transmit chain
                    int n = data.consumeInt(1, 4);
                    if (descriptors(txInFlight) + n > QUEUE) {
                        break;
                    }
                    long base = TX_BUFFERS + 0x6000L * (txSlot++ % 16);
                    Chain c = chain(data, base, 0x6000, n, false);
                    txInFlight.put(publish(tx, txNext, c), c);
                    txNext = (txNext + n) % QUEUE;
                }
                case 2 -> { // a host frame
                    int len = switch (data.consumeInt(0, 3)) {
                        case 0 -> data.consumeInt(0, HEADER + 1);
                        case 1 -> data.consumeInt(HEADER, 2000);
                        case 2 -> data.consumeInt(2000, 70_000);
                        default -> data.consumeInt(HEADER, 6000);
                    };
                    byte[] f = new byte[len];
                    byte[] seed = data.consumeBytes(8);
                    for (int i = 0; i < len; i++) {
                        f[i] = (byte) (i * 31 + (seed.length > 0 ? seed[i % seed.length] : 0));
                    }
                    backend.toGuest.add(f);
                    if (data.consumeBoolean() && backend.listener != null) {
                        backend.listener.readable();
                    }
                }
                case 3 -> backend.full = data.consumeBoolean();
                case 4 -> {
                    backend.rejectNext = data.consumeBoolean();
                    if (backend.listener != null) {
                        backend.listener.writable();
                    }
                }
                case 5 -> {
                    rx.notifyDevice();
                    tx.notifyDevice();
                    dev.poll();
                }
                default -> dev.poll();
            }
            if ((dev.status() & VirtioPciDevice.STATUS_DEVICE_NEEDS_RESET) != 0) {
                if (!violated) {
                    throw new AssertionError("well-formed chains put the device in DEVICE_NEEDS_RESET");
                }
                return; // a driver that broke the protocol resets the device; nothing more to check
            }
            collect(ram, rx.takeUsed(), rxInFlight, rxReceived);
            for (VirtioPciDriver.Used u : tx.takeUsed()) {
                Chain c = txInFlight.remove(u.id());
                if (c == null) {
                    throw new AssertionError("transmit chain " + u.id() + " returned but not in flight");
                }
                if (u.length() != 0) {
                    throw new AssertionError("a transmit chain came back with " + u.length() + " bytes written");
                }
                byte[] frame = c.readableBytes(ram);
                if (frame.length >= HEADER && frame.length <= TX_MAX) {
                    txExpected.add(frame);
                }
            }
        }
        // every frame sent is one of the returned chains' (rejected ones are not in 'sent')
        int k = 0;
        for (byte[] s : backend.sent) {
            while (k < txExpected.size() && !Arrays.equals(txExpected.get(k), s)) {
                k++;
            }
            if (k == txExpected.size()) {
                throw new AssertionError("the backend was sent a " + s.length + "-byte frame no returned chain held");
            }
            k++;
        }
        checkReceived(rxReceived, backend.handedOut, mergeable);
    }

    private static int descriptors(Map<Integer, Chain> inFlight) {
        return inFlight.values().stream().mapToInt(c -> c.len.length).sum();
    }

    /** Takes the used receive chains' bytes now: their buffers are posted again later. */
    private static void collect(FakeGuestMemory ram, List<VirtioPciDriver.Used> used, Map<Integer, Chain> inFlight,
            List<byte[]> received) throws Exception {
        for (VirtioPciDriver.Used u : used) {
            Chain c = inFlight.remove(u.id());
            if (c == null) {
                throw new AssertionError("receive chain " + u.id() + " returned but not in flight");
            }
            if (u.length() > c.writableBytes()) {
                throw new AssertionError("used length " + u.length() + " > " + c.writableBytes() + " writable bytes");
            }
            received.add(c.written(ram, u.length()));
        }
    }

    /** The frames the guest got, joined by num_buffers, are an ordered subsequence of those handed out. */
    private static void checkReceived(List<byte[]> used, List<byte[]> handedOut, boolean mergeable) {
        int next = 0;
        for (int i = 0; i < used.size(); ) {
            if (used.get(i).length == 0) {
                i++; // a buffer handed back empty (a frame too large for the whole queue)
                continue;
            }
            byte[] first = used.get(i);
            int buffers = 1;
            if (mergeable && first.length >= HEADER) {
                buffers = (first[10] & 0xFF) | (first[11] & 0xFF) << 8;
            }
            if (buffers < 1 || i + buffers > used.size()) {
                throw new AssertionError("num_buffers " + buffers + " at used entry " + i + " of " + used.size());
            }
            java.io.ByteArrayOutputStream frame = new java.io.ByteArrayOutputStream();
            for (int b = 0; b < buffers; b++) {
                byte[] part = used.get(i + b);
                frame.write(part, 0, part.length);
            }
            byte[] got = frame.toByteArray();
            i += buffers;
            while (next < handedOut.size() && !sameFrame(handedOut.get(next), got)) {
                next++;
            }
            if (next == handedOut.size()) {
                throw new AssertionError("the guest received a " + got.length + "-byte frame the host did not send"
                        + " (or out of order)");
            }
            next++;
        }
    }

    /** Equal but for num_buffers, which the device writes. */
    private static boolean sameFrame(byte[] host, byte[] guest) {
        if (host.length != guest.length || host.length < HEADER) {
            return false;
        }
        return Arrays.equals(host, 0, 10, guest, 0, 10) && Arrays.equals(host, HEADER, host.length, guest, HEADER,
                guest.length);
    }

    /** A chain of {@code n} buffers in [base, base + room): receive chains mostly writable, transmit readable. */
    private static Chain chain(FuzzedDataProvider data, long base, int room, int n, boolean receive)
            throws Exception {
        long[] addr = new long[n];
        int[] len = new int[n];
        boolean[] writable = new boolean[n];
        int used = 0;
        int readable = receive ? (data.consumeInt(0, 7) == 0 ? 1 : 0) : data.consumeInt(0, 7) == 0 ? n - 1 : n;
        for (int k = 0; k < n; k++) {
            int l = switch (data.consumeInt(0, 3)) {
                case 0 -> data.consumeInt(0, 16);
                case 1 -> HEADER;
                default -> data.consumeInt(0, room);
            };
            l = Math.min(l, room - used);
            addr[k] = base + used;
            len[k] = l;
            writable[k] = k >= readable;
            used += l;
        }
        return new Chain(addr, len, writable);
    }

    private static int publish(VirtioPciDriver.Queue q, int head, Chain c) {
        int n = c.len.length;
        for (int k = 0; k < n; k++) {
            int i = (head + k) % QUEUE;
            int flags = (c.writable[k] ? VirtioPciDriver.DESC_F_WRITE : 0) | (k < n - 1 ? VirtioPciDriver.DESC_F_NEXT : 0);
            q.writeDescriptor(i, c.addr[k], c.len[k], flags, (i + 1) % QUEUE);
        }
        q.publish(head);
        return head;
    }
}
