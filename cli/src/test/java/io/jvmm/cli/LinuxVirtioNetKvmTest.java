package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jvmm.testkit.RequiresKvm;
import io.jvmm.testkit.ScaledTimeout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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
 * The unmodified Debian kernel's own {@code virtio_net} drives {@code --net tap=...}: jvmm runs in a
 * network namespace the test makes ({@code unshare -n}) with a TAP interface ({@code ip tuntap add},
 * so jvmm attaches to an existing one), 10.0.2.1/24 on the host side, a DHCP server (busybox
 * {@code udhcpd}) and a web server (busybox {@code httpd}) serving 1 MiB of random bytes. The guest
 * loads virtio_ring, virtio, virtio_pci*, failover, net_failover and virtio_net (the order of
 * {@code modinfo -F depends}), reports the MAC and link state it sees and the features it accepted,
 * gets its address with {@code udhcpc}, pings the host side, fetches the file with {@code wget} and
 * reports its SHA-256, and the MSI-X counts of its receive and transmit queues before and after;
 * then powers off. Nothing touches the host's own network.
 *
 * <p>Needs the kernel (with its modules) and busybox ({@link LinuxGuest}), real KVM, root (for the
 * namespace and the TAP), {@code unshare} and iproute2's {@code ip}.
 */
@RequiresKvm(unmodifiedGuest = true)
class LinuxVirtioNetKvmTest {
    static final String CMDLINE = "console=ttyS0 panic=-1 nokaslr";
    static final String TAP = "jvmmtap0";
    static final String MAC = "52:54:00:ab:cd:ef";
    static final int BLOB = 1 << 20;
    private static final List<String> MODULES = List.of(
            "drivers/virtio/virtio_ring.ko", "drivers/virtio/virtio.ko", "drivers/virtio/virtio_pci_modern_dev.ko",
            "drivers/virtio/virtio_pci_legacy_dev.ko", "drivers/virtio/virtio_pci.ko", "net/core/failover.ko",
            "drivers/net/net_failover.ko", "drivers/net/virtio_net.ko");

    private static final List<String> INIT = LinuxGuest.init(
            "mount -t devtmpfs dev /dev",
            "for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover net_failover"
                    + " virtio_net; do",
            "  insmod /lib/$m.ko || echo \"JVMM-FACT insmod failed: $m\"",
            "done",
            "cat > /dhcp.sh <<'EOF'",
            "#!/bin/sh",
            "case \"$1\" in bound|renew)",
            "  ifconfig $interface $ip netmask $subnet",
            "  echo \"JVMM-FACT dhcp: $ip $subnet router $router\" ;;",
            "esac",
            "EOF",
            "chmod +x /dhcp.sh",
            "echo \"JVMM-FACT mac: $(cat /sys/class/net/eth0/address)\"",
            "for d in /sys/bus/virtio/devices/*; do",
            "  echo \"JVMM-FACT virtio ${d##*/}: device $(cat $d/device) status $(cat $d/status)\"",
            "  echo \"JVMM-FACT features ${d##*/}: $(cat $d/features)\"",
            "done",
            "ip link set lo up",
            "ip link set eth0 up",
            "echo \"JVMM-FACT carrier: $(cat /sys/class/net/eth0/carrier)\"",
            "grep -E 'virtio' /proc/interrupts | sed 's/  */ /g; s/^/JVMM-FACT before:/'",
            "udhcpc -i eth0 -s /dhcp.sh -q -n -t 10 -T 3 2>/dev/null || echo 'JVMM-FACT dhcp: failed'",
            "echo \"JVMM-FACT address: $(ip -4 -o addr show dev eth0 | grep -o 'inet [0-9./]*')\"",
            "echo \"JVMM-FACT ping: $(ping -c 3 -W 10 10.0.2.1 | grep 'packets')\"",
            "echo \"JVMM-FACT link: carrier $(cat /sys/class/net/eth0/carrier) $(cat /sys/class/net/eth0/operstate)\"",
            "wget -q -O /blob http://10.0.2.1:8080/blob || echo 'JVMM-FACT wget: failed'",
            "echo \"JVMM-FACT blob: $(wc -c < /blob) $(sha256sum < /blob)\"",
            "grep -E 'virtio' /proc/interrupts | sed 's/  */ /g; s/^/JVMM-FACT irq:/'",
            "s=/sys/class/net/eth0/statistics",
            "echo \"JVMM-FACT stats: rx $(cat $s/rx_packets) $(cat $s/rx_bytes) tx $(cat $s/tx_packets)"
                    + " rx_dropped $(cat $s/rx_dropped) rx_errors $(cat $s/rx_errors) tx_errors $(cat $s/tx_errors)"
                    + " rx_length_errors $(cat $s/rx_length_errors)\"",
            "echo 'JVMM-USERSPACE: powering off'",
            "poweroff -f");

    /**
     * Runs its arguments (jvmm) in the namespace {@code unshare -n} gave it, with the TAP, the DHCP
     * server and the web server; the servers end with it (and, should it be killed, by their own
     * {@code timeout}).
     */
    private static final String NETNS = String.join("\n",
            "#!/bin/sh",
            "set -e",
            "ip link set lo up",
            "ip tuntap add " + TAP + " mode tap",
            "ip addr add 10.0.2.1/24 dev " + TAP,
            "ip link set " + TAP + " up",
            "timeout 900 busybox httpd -f -p 10.0.2.1:8080 -h www &",
            "H=$!",
            "timeout 900 busybox udhcpd -f udhcpd.conf > udhcpd.log 2>&1 &",
            "D=$!",
            "set +e",
            "\"$@\"",
            "rc=$?",
            "kill $H $D 2>/dev/null",
            "exit $rc",
            "");

    @TempDir
    Path dir;

    @Test
    @ScaledTimeout(150)
    void linuxGetsAnAddressPingsAndFetchesAFileOverVirtioNetOnATap() throws Exception {
        assumeTrue(Files.exists(Path.of("/dev/net/tun")), "SKIPPED: no /dev/net/tun (modprobe tun)");
        assumeTrue("root".equals(System.getProperty("user.name")),
                "SKIPPED: needs root for the network namespace and the TAP");
        Path kernel = LinuxGuest.bzImage();
        Map<String, Path> files = new LinkedHashMap<>();
        for (String m : MODULES) {
            files.put("lib/" + m.substring(m.lastIndexOf('/') + 1), LinuxGuest.module(kernel, m));
        }
        Path initrd = LinuxGuest.initramfs(dir, INIT, files);

        byte[] blob = new byte[BLOB];
        new Random(18).nextBytes(blob);
        Files.createDirectories(dir.resolve("www"));
        Files.write(dir.resolve("www/blob"), blob);
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(blob));
        Files.writeString(dir.resolve("udhcpd.conf"), String.join("\n",
                "start 10.0.2.15", "end 10.0.2.15", "interface " + TAP, "max_leases 1",
                "lease_file " + dir.resolve("udhcpd.leases"), "pidfile " + dir.resolve("udhcpd.pid"),
                "option subnet 255.255.255.0", "option router 10.0.2.1", "option lease 3600", ""),
                StandardCharsets.US_ASCII);
        Files.writeString(dir.resolve("udhcpd.leases"), "");
        Files.writeString(dir.resolve("netns.sh"), NETNS, StandardCharsets.US_ASCII);

        LinuxGuest.Boot boot = LinuxGuest.boot(dir, kernel, initrd, CMDLINE,
                List.of("unshare", "-n", "sh", dir.resolve("netns.sh").toString()), List.of("-Djvmm.log.level=info"),
                List.of("--net", "tap=" + TAP + ",mac=" + MAC), null, s -> { });
        System.out.printf("Linux virtio-net boot: exit %d after %.1f s%n  %s%n  stderr: %s%n",
                boot.run().exitCode(), boot.seconds(), String.join("\n  ", boot.facts()), boot.run().err().strip());
        String why = boot.why() + "\nudhcpd: " + readOrNothing(dir.resolve("udhcpd.log"));

        assertTrue(!boot.console().contains("JVMM-FACT insmod failed"), "a module did not load" + why);
        assertEquals("JVMM-FACT mac: " + MAC, boot.fact("mac:"), "the guest sees the MAC we gave" + why);
        String virtio = boot.fact("virtio virtio0:");
        assertTrue(virtio.contains("device 0x0001") && virtio.contains("status 0x0000000f"),
                "virtio0 is a network device, driver ready: " + virtio + why);
        String features = boot.fact("features virtio0:").replace("JVMM-FACT features virtio0:", "").trim();
        assertTrue(features.matches("[01]{64}"), "sysfs lists 64 feature bits: " + features + why);
        for (int bit : new int[] {0, 1, 5, 7, 8, 11, 12, 15, 16, 29, 32}) {
            // CSUM, GUEST_CSUM, MAC, GUEST_TSO4/6, HOST_TSO4/6, MRG_RXBUF, STATUS, EVENT_IDX, VERSION_1
            assertEquals('1', features.charAt(bit), "feature bit " + bit + " negotiated: " + features + why);
        }
        assertEquals("JVMM-FACT carrier: 1", boot.fact("carrier:"), "link up at once (VIRTIO_NET_S_LINK_UP)" + why);
        assertEquals("JVMM-FACT link: carrier 1 up", boot.fact("link:"), "the interface is up" + why);
        assertEquals("JVMM-FACT dhcp: 10.0.2.15 255.255.255.0 router 10.0.2.1", boot.fact("dhcp:"),
                "udhcpc got the lease from the namespace's udhcpd" + why);
        assertEquals("JVMM-FACT address: inet 10.0.2.15/24", boot.fact("address:"), "and configured it" + why);
        assertTrue(boot.fact("ping:").contains("3 packets transmitted, 3 packets received"),
                "the host side answers pings: " + boot.fact("ping:") + why);
        assertEquals("JVMM-FACT blob: " + BLOB + " " + sha + "  -", boot.fact("blob:"),
                "wget fetched the 1 MiB file intact from the namespace's httpd" + why);
        long rxBefore = msixCount(boot, "before:", "virtio0-input.0", why);
        long rxAfter = msixCount(boot, "irq:", "virtio0-input.0", why);
        long txBefore = msixCount(boot, "before:", "virtio0-output.0", why);
        long txAfter = msixCount(boot, "irq:", "virtio0-output.0", why);
        assertTrue(rxAfter > rxBefore, "the receive queue's MSI-X vector fired (" + rxBefore + " -> " + rxAfter + ")"
                + why);
        assertTrue(txAfter > txBefore, "the transmit queue's MSI-X vector fired (" + txBefore + " -> " + txAfter + ")"
                + why);
        Matcher stats = Pattern.compile("rx (\\d+) (\\d+) tx (\\d+) rx_dropped (\\d+) rx_errors (\\d+) tx_errors (\\d+)"
                + " rx_length_errors (\\d+)").matcher(boot.fact("stats:"));
        // rx_length_errors is what Linux's receive_mergeable counts when a frame's num_buffers are not all
        // used yet ("rx error: N buffers out of M missing", virtio 1.2 §5.1.6.4.2), and it drops the frame
        assertTrue(stats.find() && "0".equals(stats.group(4)) && "0".equals(stats.group(5))
                && "0".equals(stats.group(6)) && "0".equals(stats.group(7)),
                "the guest counted the frames without drops or errors: " + boot.fact("stats:") + why);
        long rxPackets = Long.parseLong(stats.group(1));
        long rxBytes = Long.parseLong(stats.group(2));
        // the host's TCP hands the TAP segmentation-offload frames of up to 64 KiB (GUEST_TSO4 set on it), which
        // reach the guest whole in mergeable buffers: on average far more than one 1514-byte Ethernet frame
        assertTrue(rxBytes > BLOB && rxBytes / rxPackets > 1514, "frames larger than the MTU arrived (TSO to the "
                + "guest through num_buffers): " + boot.fact("stats:") + why);
        Matcher device = Pattern.compile("virtio-net-6: (\\d+) frames sent \\((\\d+) bytes with headers\\), 0 errors; "
                + "(\\d+) frames received \\((\\d+) bytes\\), (\\d+) dropped").matcher(boot.run().err());
        assertTrue(device.find() && Long.parseLong(device.group(4)) > BLOB && Long.parseLong(device.group(1)) > 0,
                "jvmm's device counted the frames both ways (-Djvmm.log.level=info)" + why);
        assertTrue(boot.console().contains("reboot: Power down"), "Linux did not power down" + why);
        assertEquals(0, boot.run().exitCode(), "a power-off ends the run with 0" + why);
    }

    private static String readOrNothing(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p, StandardCharsets.ISO_8859_1) : "(none)";
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }

    /** The count of the edge-triggered PCI-MSI line named {@code name} among the {@code key} facts. */
    private static long msixCount(LinuxGuest.Boot boot, String key, String name, String why) {
        Pattern line = Pattern.compile("^JVMM-FACT " + Pattern.quote(key) + " ?\\d+: (\\d+) PCI-MSI\\S* \\d+-edge "
                + Pattern.quote(name) + "$");
        return boot.facts().stream().map(line::matcher).filter(Matcher::find).mapToLong(m -> Long.parseLong(m.group(1)))
                .findFirst().orElseThrow(() -> new AssertionError("no PCI-MSI(X) line for " + name + " in the '" + key
                        + "' facts: " + boot.facts() + why));
    }
}
