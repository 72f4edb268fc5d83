package io.jvmm.net.tap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.net.NetBackend;
import io.jvmm.api.net.NetBackendListener;
import io.jvmm.api.net.NetOffload;
import io.jvmm.testkit.TestTime;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The real TAP backend, natively, in a network namespace of its own ({@link NetNamespace}): it
 * creates a TAP, gives the kernel's side an address, sends an ARP request for it through the backend
 * and reads the kernel's reply; then checks the errors a user meets. Needs root and /dev/net/tun.
 */
class TapBackendTest {
    static final byte[] OUR_MAC = {0x02, 0, 0, 0, 0, 0x01};
    static final byte[] OUR_IP = {10, 9, 0, 2};
    static final byte[] HOST_IP = {10, 9, 0, 1};

    /** Runs {@code body} on a new thread in a new network namespace (or skips without root or tun). */
    static void inNamespace(ThrowingRunnable body) throws Throwable {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(TapBackend.TUN),
                "SKIPPED: no /dev/net/tun (modprobe tun)");
        org.junit.jupiter.api.Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
                "SKIPPED: creating a TAP in a network namespace of its own needs root");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/sbin/ip"))
                || Files.isExecutable(Path.of("/sbin/ip")) || Files.isExecutable(Path.of("/usr/bin/ip")),
                "SKIPPED: iproute2's ip is missing");
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                NetNamespace.enterNew();
                body.run();
            } catch (Throwable e) {
                failure.set(e);
            }
        }, "netns-test");
        t.start();
        t.join();
        if (failure.get() != null) {
            throw failure.get();
        }
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    static String ip(String... args) throws Exception {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "ip";
        System.arraycopy(args, 0, cmd, 1, args.length);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(TestTime.seconds(10).toMillis(), TimeUnit.MILLISECONDS) || p.exitValue() != 0) {
            throw new AssertionError("ip " + String.join(" ", args) + " failed: " + out);
        }
        return out;
    }

    /** A vnet header (all zero: a complete frame) and an ARP request for {@link #HOST_IP}. */
    static ByteBuffer arpRequest() {
        ByteBuffer b = ByteBuffer.allocateDirect(NetBackend.HEADER_LENGTH + 42);
        b.put(new byte[NetBackend.HEADER_LENGTH]);
        b.put(new byte[] {-1, -1, -1, -1, -1, -1}).put(OUR_MAC).putShort((short) 0x0806);
        b.putShort((short) 1).putShort((short) 0x0800).put((byte) 6).put((byte) 4).putShort((short) 1);
        b.put(OUR_MAC).put(OUR_IP).put(new byte[6]).put(HOST_IP);
        return b.flip();
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void theKernelAnswersAnArpRequestSentThroughTheTap() throws Throwable {
        inNamespace(() -> {
            Semaphore readable = new Semaphore(0);
            try (TapBackend tap = TapBackend.open("jvmmtest0")) {
                tap.setListener(new NetBackendListener() {
                    @Override
                    public void readable() {
                        readable.release();
                    }

                    @Override
                    public void writable() {}
                });
                assertEquals(EnumSet.of(NetOffload.CSUM, NetOffload.TSO4, NetOffload.TSO6, NetOffload.TSO_ECN),
                        tap.offloads(), "a Linux TAP takes checksum and TCP segmentation offloads");
                tap.setReceiveOffloads(EnumSet.of(NetOffload.CSUM, NetOffload.TSO4));
                tap.setReceiveOffloads(EnumSet.noneOf(NetOffload.class));
                String link = ip("-o", "link", "show", "jvmmtest0");
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("link/ether ([0-9a-f:]{17})").matcher(link);
                assertTrue(m.find(), link);
                byte[] hostMac = HexFormat.ofDelimiter(":").parseHex(m.group(1));
                ip("link", "set", "lo", "up");
                ip("addr", "add", "10.9.0.1/24", "dev", "jvmmtest0");
                ip("link", "set", "jvmmtest0", "up");

                ByteBuffer request = arpRequest();
                assertTrue(tap.send(new ByteBuffer[] {request}, 1), "the TAP takes the frame");
                assertFalse(request.hasRemaining());

                // the kernel may say other things first (IPv6 router solicitations, MLD): skip them
                ByteBuffer header = ByteBuffer.allocateDirect(NetBackend.HEADER_LENGTH);
                ByteBuffer frame = ByteBuffer.allocateDirect(2048);
                long deadline = System.nanoTime() + TestTime.seconds(10).toNanos();
                while (true) {
                    header.clear();
                    frame.clear();
                    int n = tap.receive(new ByteBuffer[] {header, frame}, 2);
                    if (n == 0) {
                        long left = deadline - System.nanoTime();
                        assertTrue(left > 0 && readable.tryAcquire(left, TimeUnit.NANOSECONDS),
                                "no ARP reply within the deadline");
                        continue;
                    }
                    assertEquals(n - NetBackend.HEADER_LENGTH, frame.position(), "header and frame split as asked");
                    if (frame.position() >= 42 && frame.getShort(12) == 0x0806 && frame.getShort(20) == 2) {
                        break;
                    }
                }
                assertArrayEquals(new byte[NetBackend.HEADER_LENGTH], bytes(header, 0, NetBackend.HEADER_LENGTH),
                        "no offload enabled: a plain header");
                assertArrayEquals(OUR_MAC, bytes(frame, 0, 6), "to us");
                assertArrayEquals(hostMac, bytes(frame, 6, 6), "from the TAP's address");
                assertArrayEquals(hostMac, bytes(frame, 22, 6), "sender hardware address: the TAP's");
                assertArrayEquals(HOST_IP, bytes(frame, 28, 4), "10.9.0.1 is at it");
                assertArrayEquals(OUR_MAC, bytes(frame, 32, 6));
                assertArrayEquals(OUR_IP, bytes(frame, 38, 4));

                TapBackend.TapException busy = assertThrows(TapBackend.TapException.class,
                        () -> TapBackend.open("jvmmtest0"));
                assertTrue(busy.getMessage().contains("TAP jvmmtest0: cannot attach to it")
                        && busy.getMessage().contains("another process has it open"), busy.getMessage());
            }
            // created by the backend, not persistent: gone with it
            Process p = new ProcessBuilder("ip", "link", "show", "jvmmtest0").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            assertTrue(p.waitFor(TestTime.seconds(10).toMillis(), TimeUnit.MILLISECONDS));
            assertTrue(p.exitValue() != 0, "the TAP vanished when the backend closed");
        });
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aDeletedInterfaceStopsThePollerAndFailsForGood() throws Throwable {
        inNamespace(() -> {
            Semaphore readable = new Semaphore(0);
            Semaphore writable = new Semaphore(0);
            try (TapBackend tap = TapBackend.open("jvmmtest1")) {
                tap.setListener(new NetBackendListener() {
                    @Override
                    public void readable() {
                        readable.release();
                    }

                    @Override
                    public void writable() {
                        writable.release();
                    }
                });
                ByteBuffer frame = ByteBuffer.allocateDirect(2048);
                assertEquals(0, tap.receive(new ByteBuffer[] {frame}, 1), "down and quiet: nothing yet");
                ip("link", "del", "jvmmtest1"); // the TAP is detached under the open descriptor

                long deadline = System.nanoTime() + TestTime.seconds(10).toNanos();
                assertTrue(readable.tryAcquire(deadline - System.nanoTime(), TimeUnit.NANOSECONDS),
                        "the poller tells the receive side the TAP failed");
                // the poller must now block (it spun at 100% on the POLLERR poll keeps reporting): over a window of
                // wall time it uses a small fraction of it, where a spinning thread uses nearly all
                java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
                long id = tap.pollerThreadId();
                long window = TestTime.seconds(1).toNanos();
                long cpu0 = mx.getThreadCpuTime(id);
                long wall0 = System.nanoTime();
                new Semaphore(0).tryAcquire(window, TimeUnit.NANOSECONDS); // a measuring window, not a sync
                long cpu = mx.getThreadCpuTime(id) - cpu0;
                long wall = System.nanoTime() - wall0;
                assertTrue(cpu >= 0 && cpu < wall / 10, "the poller used " + cpu / 1_000_000 + " ms of CPU in "
                        + wall / 1_000_000 + " ms after the interface went");
                assertTrue(writable.tryAcquire(deadline - System.nanoTime(), TimeUnit.NANOSECONDS),
                        "and the transmit side");
                frame.clear();
                assertThrows(java.nio.channels.ClosedChannelException.class,
                        () -> tap.receive(new ByteBuffer[] {frame}, 1), "a failure for good, not 0 or a retry");
                ByteBuffer request = arpRequest();
                assertThrows(java.nio.channels.ClosedChannelException.class,
                        () -> tap.send(new ByteBuffer[] {request}, 1));
                assertFalse(readable.tryAcquire(), "told once, not again and again");
            }
        });
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void anInterfaceThatIsNotATapIsAClearError() throws Throwable {
        inNamespace(() -> {
            ip("tuntap", "add", "jvmmtun0", "mode", "tun");
            TapBackend.TapException e = assertThrows(TapBackend.TapException.class, () -> TapBackend.open("jvmmtun0"));
            assertTrue(e.getMessage().startsWith("TAP jvmmtun0: cannot attach to it")
                    && e.getMessage().contains("is not a single-queue TAP"), e.getMessage());
        });
    }

    @Test
    void permissionErrorsNameTheFix() {
        String m = TapBackend.setIffProblem("tap7", false, TunLibC.EPERM);
        assertTrue(m.startsWith("TAP tap7: cannot create it: ") && m.contains("run as root")
                && m.contains("ip tuntap add tap7 mode tap user "), m);
    }

    static byte[] bytes(ByteBuffer b, int at, int n) {
        byte[] out = new byte[n];
        b.get(at, out);
        return out;
    }
}
