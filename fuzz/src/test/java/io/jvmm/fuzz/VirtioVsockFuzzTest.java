package io.jvmm.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.PciFunction;
import io.jvmm.api.handles.VirtioVsockHandle;
import io.jvmm.dev.virtiovsock.VirtioVsockResolver;
import io.jvmm.testkit.FakeBoard;
import io.jvmm.testkit.FakeGuestMemory;
import io.jvmm.testkit.VirtioPciDriver;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * virtio-vsock's tx packet path (dev-virtio-vsock, resolved through its resolver, its host side
 * real Unix sockets on /tmp with a host listener at {@code PATH_5000} that accepts and writes) fed
 * by a hostile driver: headers with any CIDs, ports, type, op, flags, credit and {@code len}, chains
 * shorter or longer than the header and {@code len}, payloads, rx buffers of any size, polls in
 * between. Checks:
 *
 * <ul>
 *   <li>nothing escapes the device (DEVICE_NEEDS_RESET for chains that are all in RAM and in order
 *       is a finding);
 *   <li>every rx packet fits its buffer, has a whole header with {@code len} equal to the bytes
 *       after it, comes from CID 2 to the guest's CID, and is of a known op;
 *   <li>the device closes cleanly and removes its socket file.
 * </ul>
 *
 * Without {@code JAZZER_FUZZ=1} (i.e. in {@code mvn verify}) it replays the committed inputs under
 * {@code VirtioVsockFuzzTestInputs/txPackets/}.
 */
class VirtioVsockFuzzTest {
    private static final int RAM = 0x80000;
    private static final int SLOT = 3;
    private static final int QUEUE = 16;
    private static final long CID = 3;
    private static final long RX_RINGS = 0;
    private static final long TX_RINGS = 0x2000;
    private static final long RX_BUFFERS = 0x8000;
    private static final long TX_BUFFERS = 0x40000;
    private static final int HEADER = 44;
    private static final int MAX_STEPS = 64;
    private static final int[] PORTS = {5000, 5001, 1 << 30, 1234};

    @FuzzTest(maxDuration = "5m")
    void txPackets(FuzzedDataProvider data) throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "jvmm-vsock-fuzz");
        Path uds = dir.resolve("v.sock");
        List<SocketChannel> accepted = new ArrayList<>();
        try (ServerSocketChannel host = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            host.bind(UnixDomainSocketAddress.of(uds + "_5000"));
            host.configureBlocking(false);
            FakeGuestMemory ram = new FakeGuestMemory(RAM);
            FakeBoard board = new FakeBoard().withGuestMemory(ram);
            ChipsetDevice device = new VirtioVsockResolver().resolve(
                    new VirtioVsockHandle(SLOT, CID, uds.toString()), board.context("virtio-vsock"));
            PciFunction function = device.capabilities().pciFunction().orElseThrow();
            VirtioPciDevice dev = (VirtioPciDevice) device;
            try {
                run(data, ram, dev, new VirtioPciDriver(function, ram), host, accepted);
            } finally {
                dev.close();
            }
            if (Files.exists(uds)) {
                throw new AssertionError("the device left its socket file " + uds);
            }
        } finally {
            for (SocketChannel s : accepted) {
                s.close();
            }
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    private static void run(FuzzedDataProvider data, FakeGuestMemory ram, VirtioPciDevice dev, VirtioPciDriver driver,
            ServerSocketChannel host, List<SocketChannel> accepted) throws Exception {
        driver.negotiate(VirtioPciDriver.F_VERSION_1 | (data.consumeBoolean() ? VirtioPciDriver.F_EVENT_IDX : 0));
        VirtioPciDriver.Queue rx = driver.setUpQueue(0, QUEUE, RX_RINGS);
        VirtioPciDriver.Queue tx = driver.setUpQueue(1, QUEUE, TX_RINGS);
        driver.driverOk();
        Map<Integer, Integer> rxPosted = new HashMap<>(); // head -> writable bytes
        int txNext = 0;
        int txInFlight = 0;
        for (int step = 0; step < MAX_STEPS && data.remainingBytes() > 0; step++) {
            switch (data.consumeInt(0, 4)) {
                case 0 -> { // an rx buffer of any size
                    int head = -1;
                    for (int i = 0; i < QUEUE && head < 0; i++) {
                        head = rxPosted.containsKey(i) ? -1 : i;
                    }
                    if (head >= 0) {
                        int len = data.consumeBoolean() ? 4096 + HEADER : data.consumeInt(0, 0x3000);
                        rx.writeDescriptor(head, RX_BUFFERS + 0x3000L * head, len, VirtioPciDriver.DESC_F_WRITE, 0);
                        rx.publish(head);
                        rxPosted.put(head, len);
                        rx.notifyDevice();
                    }
                }
                case 1, 2 -> { // a tx packet
                    if (txInFlight >= QUEUE) {
                        break;
                    }
                    int d = txNext++ % QUEUE;
                    long at = TX_BUFFERS + 0x2000L * d;
                    int payload = data.consumeBoolean() ? data.consumeInt(0, 64) : data.consumeInt(0, 0x1000);
                    ByteBuffer h = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
                    h.putLong(data.consumeInt(0, 7) != 0 ? CID : data.consumeLong());
                    h.putLong(data.consumeInt(0, 7) != 0 ? 2 : data.consumeLong());
                    h.putInt(data.consumeBoolean() ? 40000 + data.consumeInt(0, 3) : data.consumeInt());
                    h.putInt(data.consumeBoolean() ? PORTS[data.consumeInt(0, PORTS.length - 1)] : data.consumeInt());
                    h.putInt(data.consumeInt(0, 3) != 0 ? payload : data.consumeInt());
                    h.putShort((short) (data.consumeInt(0, 7) != 0 ? 1 : data.consumeInt(0, 0xFFFF)));
                    h.putShort((short) (data.consumeInt(0, 7) != 0 ? data.consumeInt(1, 7) : data.consumeInt(0, 0xFFFF)));
                    h.putInt(data.consumeInt(0, 3) != 0 ? data.consumeInt(0, 3) : data.consumeInt());
                    h.putInt(data.consumeBoolean() ? 1 << 18 : data.consumeInt());
                    h.putInt(data.consumeInt());
                    ram.write(at, h.array(), 0, HEADER);
                    byte[] fill = data.consumeBytes(Math.min(payload, 64));
                    ram.write(at + HEADER, fill, 0, fill.length);
                    int chainLen = switch (data.consumeInt(0, 3)) {
                        case 0 -> data.consumeInt(0, HEADER); // cut short
                        case 1 -> data.consumeInt(0, 0x2000);
                        default -> HEADER + payload;
                    };
                    tx.writeDescriptor(d, at, chainLen, 0, 0);
                    tx.publish(d);
                    txInFlight++;
                    if (data.consumeBoolean()) {
                        tx.notifyDevice();
                    }
                }
                case 3 -> { // the host side accepts and writes
                    SocketChannel s = host.accept();
                    if (s != null) {
                        s.configureBlocking(false);
                        accepted.add(s);
                    }
                    for (SocketChannel a : accepted) {
                        try {
                            a.write(ByteBuffer.wrap(data.consumeBytes(data.consumeInt(0, 200))));
                        } catch (IOException closed) {
                            // the device reset it
                        }
                    }
                }
                default -> {
                    tx.notifyDevice();
                    dev.poll();
                }
            }
            txInFlight -= tx.takeUsed().size();
            check(ram, dev, rx.takeUsed(), rxPosted);
        }
        tx.notifyDevice();
        for (int i = 0; i < 4; i++) {
            dev.poll();
        }
        check(ram, dev, rx.takeUsed(), rxPosted);
    }

    private static void check(FakeGuestMemory ram, VirtioPciDevice dev, List<VirtioPciDriver.Used> used,
            Map<Integer, Integer> rxPosted) throws Exception {
        if ((dev.status() & VirtioPciDevice.STATUS_DEVICE_NEEDS_RESET) != 0) {
            throw new AssertionError("well-formed chains put the device in DEVICE_NEEDS_RESET");
        }
        for (VirtioPciDriver.Used u : used) {
            Integer room = rxPosted.remove(u.id());
            if (room == null) {
                throw new AssertionError("the device returned rx chain " + u.id() + ", which is not posted");
            }
            if (u.length() > room) {
                throw new AssertionError("used length " + u.length() + " > " + room + " writable bytes");
            }
            if (u.length() == 0) {
                continue; // a buffer too small for a header comes back empty
            }
            if (u.length() < HEADER) {
                throw new AssertionError("an rx packet of " + u.length() + " bytes has no whole header");
            }
            byte[] b = new byte[HEADER];
            ram.read(RX_BUFFERS + 0x3000L * u.id(), b, 0, HEADER);
            ByteBuffer h = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
            long src = h.getLong(0);
            long dst = h.getLong(8);
            long len = Integer.toUnsignedLong(h.getInt(24));
            int type = h.getShort(28) & 0xFFFF;
            int op = h.getShort(30) & 0xFFFF;
            if (src != 2 || dst != CID || type != 1 || op < 1 || op > 7 || len != u.length() - HEADER) {
                throw new AssertionError("a bad rx packet: cids " + src + "->" + dst + " type " + type + " op " + op
                        + " len " + len + " in " + u.length() + " bytes");
            }
        }
    }
}
