package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.testkit.RequiresKvm;
import io.jvmm.testkit.ScaledTimeout;
import io.jvmm.testkit.TestTime;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The unmodified Debian kernel drives {@code --vsock}'s socket device (00:03.0) with its own
 * {@code vmw_vsock_virtio_transport} (after {@code vsock} and
 * {@code vmw_vsock_virtio_transport_common}, the order of {@code modinfo -F depends}), and a static
 * program built here ({@code src/test/linux/vsock_echo.c}) echoes two streams:
 * <ol>
 *   <li>host to guest: the test connects to the device's Unix socket, writes {@code CONNECT 1234},
 *       reads {@code OK <port>} and then streams 16 MiB to the guest's listener on port 1234, which
 *       echoes them back;
 *   <li>guest to host: the guest connects to CID 2 port 5678, which the device maps to the test's
 *       listener at {@code PATH_5678}; the test streams 16 MiB, the guest echoes them.
 * </ol>
 * Each way the test compares the SHA-256 of what it sent with that of what came back, and the guest
 * reports how many bytes it echoed. The sockets live on /tmp (not on L1's 9p shares).
 */
@RequiresKvm(unmodifiedGuest = true)
class LinuxVirtioVsockKvmTest {
    static final String CMDLINE = "console=ttyS0 panic=-1 nokaslr";
    static final int SIZE = 16 << 20;
    static final int GUEST_PORT = 1234;
    static final int HOST_PORT = 5678;
    static final long CID = 42;
    private static final List<String> MODULES = List.of(
            "drivers/virtio/virtio_ring.ko", "drivers/virtio/virtio.ko", "drivers/virtio/virtio_pci_modern_dev.ko",
            "drivers/virtio/virtio_pci_legacy_dev.ko", "drivers/virtio/virtio_pci.ko", "net/vmw_vsock/vsock.ko",
            "net/vmw_vsock/vmw_vsock_virtio_transport_common.ko", "net/vmw_vsock/vmw_vsock_virtio_transport.ko");

    private static final List<String> INIT = LinuxGuest.init(
            "mount -t devtmpfs dev /dev",
            "for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci vsock "
                    + "vmw_vsock_virtio_transport_common vmw_vsock_virtio_transport; do",
            "  insmod /lib/$m.ko || echo \"JVMM-FACT insmod failed: $m\"",
            "done",
            "for d in /sys/bus/pci/devices/*; do",
            "  echo \"JVMM-FACT pci ${d##*/}: $(cat $d/vendor) $(cat $d/device)\"",
            "done",
            "for d in /sys/bus/virtio/devices/*; do",
            "  echo \"JVMM-FACT virtio ${d##*/}: device $(cat $d/device) status $(cat $d/status)\"",
            "done",
            "chmod 755 /bin/vsock_echo", // the initramfs holds extra files as 0644
            "/bin/vsock_echo listen " + GUEST_PORT,
            "/bin/vsock_echo connect 2 " + HOST_PORT,
            "grep -E 'virtio' /proc/interrupts | sed 's/  */ /g; s/^/JVMM-FACT irq:/'",
            "echo 'JVMM-USERSPACE: powering off'",
            "poweroff -f");

    @TempDir
    Path dir;

    /** What one stream moved: the SHA-256 of what the test sent and of what came back. */
    record Transfer(String sent, String received, long receivedBytes, double seconds) {}

    @Test
    @ScaledTimeout(300)
    void linuxEchoesSixteenMebibytesEachWayOverVsockInBothDirections() throws Exception {
        Path kernel = LinuxGuest.bzImage();
        Path echo = buildEcho();
        Map<String, Path> files = new LinkedHashMap<>();
        for (String m : MODULES) {
            files.put("lib/" + m.substring(m.lastIndexOf('/') + 1), LinuxGuest.module(kernel, m));
        }
        files.put("bin/vsock_echo", echo);
        Path initrd = LinuxGuest.initramfs(dir, INIT, files);
        Path sockets = Files.createTempDirectory(Path.of("/tmp"), "jvmm-vsock"); // not a 9p share in L1
        Path uds = sockets.resolve("v.sock");
        Transfer[] results = new Transfer[2];
        String[] failure = {null};
        try (ServerSocketChannel hostListener = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            hostListener.bind(UnixDomainSocketAddress.of(uds + "_" + HOST_PORT));
            LinuxGuest.Boot boot = LinuxGuest.boot(dir, kernel, initrd, CMDLINE, List.of("-Djvmm.log.level=info"),
                    List.of("--vsock", "cid=" + CID + ",uds=" + uds), "JVMM-FACT vsock listening on " + GUEST_PORT,
                    console -> {
                        try {
                            // host -> guest: CONNECT through PATH to the guest's listener
                            try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(uds))) {
                                c.write(ByteBuffer.wrap(("CONNECT " + GUEST_PORT + "\n").getBytes(StandardCharsets.US_ASCII)));
                                String ok = readLine(c);
                                assertTrue(ok != null && ok.matches("OK \\d+"), "the device answers OK <port>: " + ok);
                                results[0] = stream(c, 1);
                            }
                            // guest -> host: the guest connects to CID 2 port HOST_PORT, i.e. PATH_HOST_PORT
                            try (SocketChannel c = hostListener.accept()) {
                                results[1] = stream(c, 2);
                            }
                        } catch (Throwable t) {
                            failure[0] = t.toString();
                        }
                    });
            System.out.printf("Linux virtio-vsock boot: exit %d after %.1f s%n  %s%n  stderr: %s%n",
                    boot.run().exitCode(), boot.seconds(), String.join("\n  ", boot.facts()), boot.run().err().strip());
            for (Transfer t : results) {
                if (t != null) {
                    System.out.printf("  stream: %d bytes echoed in %.1f s (%.1f MB/s each way)%n", t.receivedBytes(),
                            t.seconds(), t.receivedBytes() / t.seconds() / 1e6);
                }
            }
            String why = boot.why();
            assertEquals(null, failure[0], "the host side" + why);
            assertTrue(!boot.console().contains("JVMM-FACT insmod failed"), "a module did not load" + why);
            assertEquals("JVMM-FACT pci 0000:00:03.0: 0x1af4 0x1053", boot.fact("pci 0000:00:03.0:"),
                    "00:03.0 is a modern virtio socket device (0x1040 + 19)" + why);
            String virtio = boot.fact("virtio virtio0:");
            assertTrue(virtio.contains("device 0x0013") && virtio.contains("status 0x0000000f"),
                    "virtio0 is the socket device, driven (DRIVER_OK): " + virtio + why);
            assertEquals("JVMM-FACT vsock listen echoed " + SIZE, boot.fact("vsock listen echoed"), why);
            assertEquals("JVMM-FACT vsock connected to 2:" + HOST_PORT, boot.fact("vsock connected"), why);
            assertEquals("JVMM-FACT vsock connect echoed " + SIZE, boot.fact("vsock connect echoed"), why);
            for (Transfer t : results) {
                assertTrue(t != null, "both streams ran" + why);
                assertEquals(SIZE, t.receivedBytes(), "every byte came back" + why);
                assertEquals(t.sent(), t.received(), "SHA-256 of what came back equals what was sent" + why);
            }
            assertTrue(boot.console().contains("reboot: Power down"), "Linux did not power down" + why);
            assertEquals(0, boot.run().exitCode(), "a power-off ends the run with 0" + why);
            assertTrue(!Files.exists(uds), "the device removed its socket file at the end");
        } finally {
            Files.deleteIfExists(Path.of(uds + "_" + HOST_PORT));
            Files.deleteIfExists(uds);
            Files.deleteIfExists(sockets);
        }
    }

    /** Builds the guest's echo program with {@code gcc -static}, or skips naming what is missing. */
    private Path buildEcho() throws IOException, InterruptedException {
        return LinuxGuest.staticProgram("src/test/linux/vsock_echo.c", dir, "virtio-vsock Linux test");
    }

    /**
     * Writes {@code SIZE} pseudo-random bytes to {@code c} while a second thread reads the echo,
     * then half-closes and reads to EOF; both sides hashed.
     */
    private static Transfer stream(SocketChannel c, long seed) throws Exception {
        MessageDigest received = MessageDigest.getInstance("SHA-256");
        long[] count = {0};
        Throwable[] readError = {null};
        Thread reader = new Thread(() -> {
            ByteBuffer b = ByteBuffer.allocate(1 << 16);
            try {
                while (true) {
                    b.clear();
                    int n = c.read(b);
                    if (n < 0) {
                        return;
                    }
                    received.update(b.array(), 0, n);
                    count[0] += n;
                }
            } catch (IOException e) {
                readError[0] = e;
            }
        }, "vsock-echo-reader");
        long start = System.nanoTime();
        reader.start();
        MessageDigest sent = MessageDigest.getInstance("SHA-256");
        Random random = new Random(seed);
        byte[] chunk = new byte[1 << 16];
        for (int done = 0; done < SIZE; done += chunk.length) {
            random.nextBytes(chunk);
            sent.update(chunk);
            ByteBuffer b = ByteBuffer.wrap(chunk);
            while (b.hasRemaining()) {
                c.write(b);
            }
        }
        c.shutdownOutput();
        reader.join(TestTime.seconds(120).toMillis());
        assertTrue(!reader.isAlive(), "the echo ended (EOF) within the deadline after " + count[0] + " bytes");
        if (readError[0] != null) {
            throw new AssertionError("reading the echo after " + count[0] + " bytes", readError[0]);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        HexFormat hex = HexFormat.of();
        return new Transfer(hex.formatHex(sent.digest()), hex.formatHex(received.digest()), count[0], seconds);
    }

    private static String readLine(SocketChannel c) throws IOException {
        StringBuilder sb = new StringBuilder();
        ByteBuffer one = ByteBuffer.allocate(1);
        while (true) {
            one.clear();
            if (c.read(one) < 0) {
                return sb.length() == 0 ? null : sb.toString();
            }
            if (one.get(0) == '\n') {
                return sb.toString();
            }
            sb.append((char) one.get(0));
        }
    }
}
