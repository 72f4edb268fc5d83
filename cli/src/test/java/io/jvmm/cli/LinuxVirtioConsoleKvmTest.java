package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.testkit.RequiresKvm;
import io.jvmm.testkit.ScaledTimeout;
import io.jvmm.testkit.TestTime;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The unmodified Debian kernel drives {@code --virtio-console tcp=127.0.0.1:PORT} (modern
 * virtio-PCI, 00:05.0) with its own modules: /init loads {@code virtio_ring}, {@code virtio},
 * {@code virtio_pci_modern_dev}, {@code virtio_pci_legacy_dev}, {@code virtio_pci} and
 * {@code virtio_console} (in the order of {@code modinfo -F depends}), opens {@code /dev/hvc0} in
 * raw mode and says so on ttyS0 (a file). The test then connects to the console's TCP port: it sends
 * a line that the guest reads from hvc0 and reports on ttyS0, reads the line the guest writes back
 * to hvc0, sends 256 KiB of pseudo-random bytes the guest checksums, receives 256 KiB of
 * {@code /dev/urandom} the guest checksummed before sending, and sends an acknowledgement after
 * which the guest powers off. Both checksums must match: nothing lost, duplicated or reordered in
 * either direction.
 *
 * <p>Needs the kernel (with its modules) and busybox ({@link LinuxGuest}), and real KVM.
 */
@RequiresKvm(unmodifiedGuest = true)
class LinuxVirtioConsoleKvmTest {
    static final String CMDLINE = "console=ttyS0 panic=-1 nokaslr";
    static final int BULK = 256 * 1024;
    private static final List<String> MODULES = List.of(
            "virtio/virtio_ring.ko", "virtio/virtio.ko", "virtio/virtio_pci_modern_dev.ko",
            "virtio/virtio_pci_legacy_dev.ko", "virtio/virtio_pci.ko", "char/virtio_console.ko");

    private static final List<String> INIT = LinuxGuest.init(
            "mount -t devtmpfs dev /dev",
            "for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_console; do",
            "  insmod /lib/$m.ko || echo \"JVMM-FACT insmod failed: $m\"",
            "done",
            "for d in /sys/bus/pci/devices/*; do",
            "  echo \"JVMM-FACT pci ${d##*/}: $(cat $d/vendor) $(cat $d/device) $(cat $d/class) irq $(cat $d/irq)\"",
            "done",
            "for d in /sys/bus/virtio/devices/*; do",
            "  echo \"JVMM-FACT virtio ${d##*/}: device $(cat $d/device) status $(cat $d/status)\"",
            "done",
            "i=0; while [ ! -c /dev/hvc0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done",
            "exec 3<>/dev/hvc0 || echo 'JVMM-FACT hvc0 open failed'",
            "stty raw -echo <&3 && echo 'JVMM-FACT stty: raw'",
            "echo 'JVMM-USERSPACE: hvc0 ready'",
            "read -r line <&3",
            "echo \"JVMM-FACT host said: $line\"",
            "echo 'guest says hello' >&3",
            "head -c " + BULK + " <&3 > /rx.bin",
            "echo \"JVMM-FACT rx: $(wc -c < /rx.bin) $(md5sum < /rx.bin | cut -d ' ' -f 1)\"",
            "head -c " + BULK + " /dev/urandom > /tx.bin",
            "echo \"JVMM-FACT tx: $(wc -c < /tx.bin) $(md5sum < /tx.bin | cut -d ' ' -f 1)\"",
            "cat /tx.bin >&3",
            "read -r ack <&3",
            "echo \"JVMM-FACT host ack: $ack\"",
            "grep -E 'virtio' /proc/interrupts | sed 's/  */ /g; s/^/JVMM-FACT irq:/'",
            "echo 'JVMM-USERSPACE: powering off'",
            "poweroff -f");

    @TempDir
    Path dir;

    /** What the host side saw, or why it stopped. */
    private final StringBuilder hostLog = new StringBuilder();
    private String guestLine = "";
    private String sentMd5 = "";
    private String receivedMd5 = "";
    private int received;

    @Test
    @ScaledTimeout(200)
    void hvc0CarriesLinesAndBulkDataBothWays() throws Exception {
        Path kernel = LinuxGuest.bzImage();
        Map<String, Path> files = new LinkedHashMap<>();
        for (String m : MODULES) {
            files.put("lib/" + m.substring(m.lastIndexOf('/') + 1), LinuxGuest.module(kernel, "drivers/" + m));
        }
        Path initrd = LinuxGuest.initramfs(dir, INIT, files);
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort(); // free now; jvmm binds it a second later
        }
        int tcpPort = port;
        LinuxGuest.Boot boot = LinuxGuest.boot(dir, kernel, initrd, CMDLINE,
                List.of("--virtio-console", "tcp=127.0.0.1:" + port), "JVMM-USERSPACE: hvc0 ready",
                console -> talk(tcpPort));
        System.out.printf("Linux virtio-console boot: exit %d after %.1f s%n  %s%n  host: %s%n  stderr: %s%n",
                boot.run().exitCode(), boot.seconds(), String.join("\n  ", boot.facts()), hostLog,
                boot.run().err().strip());
        String why = boot.why() + "\nhost side: " + hostLog;

        assertTrue(!boot.console().contains("JVMM-FACT insmod failed"), "a module did not load" + why);
        String pci = boot.fact("pci 0000:00:05.0:");
        assertTrue(pci.contains("0x1af4 0x1043 0x078000"), "00:05.0 is a modern virtio console: " + pci + why);
        String virtio = boot.fact("virtio virtio0:");
        assertTrue(virtio.contains("device 0x0003"), "virtio0 is a console: " + virtio + why);
        assertTrue(virtio.contains("status 0x0000000f"), "ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK: " + virtio + why);
        assertEquals("JVMM-FACT stty: raw", boot.fact("stty:"), "hvc0 opened and set raw" + why);
        assertEquals("JVMM-FACT host said: hello from the host", boot.fact("host said:"),
                "the host's line reached the guest through hvc0" + why);
        assertEquals("guest says hello", guestLine, "the guest's line reached the host through hvc0" + why);
        assertEquals("JVMM-FACT rx: " + BULK + " " + sentMd5, boot.fact("rx:"),
                "256 KiB host to guest, every byte in order" + why);
        Matcher tx = Pattern.compile("JVMM-FACT tx: " + BULK + " ([0-9a-f]{32})").matcher(boot.fact("tx:"));
        assertTrue(tx.find(), "the guest checksummed what it sent: " + boot.fact("tx:") + why);
        assertEquals(BULK, received, "256 KiB guest to host" + why);
        assertEquals(tx.group(1), receivedMd5, "guest to host, every byte in order" + why);
        assertEquals("JVMM-FACT host ack: done", boot.fact("host ack:"), why);
        // KVM delivers MSIs, so Linux gives the console MSI-X vectors (config, input, output; 6.1 names
        // the chip PCI-MSI); the receive and transmit queues' vectors must both have fired
        Pattern msix = Pattern.compile("^JVMM-FACT irq: \\d+: (\\d+) PCI-MSI\\S* \\d+-edge virtio0-(input|output)");
        long input = 0;
        long output = 0;
        for (String fact : boot.facts()) {
            Matcher irq = msix.matcher(fact);
            if (irq.find()) {
                long n = Long.parseLong(irq.group(1));
                if (irq.group(2).equals("input")) {
                    input += n;
                } else {
                    output += n;
                }
            }
        }
        assertTrue(input > 0 && output > 0, "virtio0's receive and transmit vectors interrupted: input " + input
                + ", output " + output + " in " + boot.facts() + why);
        assertTrue(!boot.console().contains("ACPI Error") && !boot.console().contains("nobody cared"),
                "no ACPI error, no stuck INTx" + why);
        assertTrue(boot.console().contains("reboot: Power down"), "Linux did not power down" + why);
        assertEquals(0, boot.run().exitCode(), "a power-off ends the run with 0" + why);
    }

    /** The host end of hvc0; records what it saw (assertions run after the boot). */
    private void talk(int port) {
        long start = System.nanoTime();
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout((int) TestTime.seconds(60).toMillis());
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            out.write("hello from the host\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            guestLine = readLine(in);
            hostLog.append("got line after ").append(ms(start)).append(" ms; ");

            byte[] bulk = new byte[BULK];
            new Random(17).nextBytes(bulk);
            sentMd5 = md5(bulk, BULK);
            out.write(bulk); // blocks while the guest (and the backend's bounded buffer) is behind: back-pressure
            out.flush();
            hostLog.append("sent ").append(BULK).append(" after ").append(ms(start)).append(" ms; ");

            byte[] back = new byte[BULK];
            while (received < BULK) {
                int n = in.read(back, received, BULK - received);
                if (n < 0) {
                    break;
                }
                received += n;
            }
            receivedMd5 = md5(back, received);
            hostLog.append("received ").append(received).append(" after ").append(ms(start)).append(" ms; ");
            out.write("done\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            // keep the connection until the guest has read the ack (a close could race it)
            s.setSoTimeout((int) TestTime.seconds(30).toMillis());
            int extra = in.read();
            hostLog.append("then ").append(extra < 0 ? "EOF" : "an extra byte " + extra);
        } catch (IOException | RuntimeException e) {
            hostLog.append("stopped: ").append(e);
        }
    }

    private static long ms(long start) {
        return (System.nanoTime() - start) / 1_000_000;
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int c = in.read(); c >= 0 && c != '\n'; c = in.read()) {
            if (c != '\r') {
                line.write(c);
            }
        }
        return line.toString(StandardCharsets.US_ASCII);
    }

    private static String md5(byte[] data, int length) {
        try {
            MessageDigest d = MessageDigest.getInstance("MD5");
            d.update(data, 0, length);
            return HexFormat.of().formatHex(d.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
