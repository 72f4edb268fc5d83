package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.testkit.RequiresKvm;
import io.jvmm.testkit.ScaledTimeout;
import io.jvmm.testkit.TestTime;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Debian kernel snapshotted while its own {@code virtio_blk} and {@code virtio-rng} drivers are
 * busy (a background loop reads the disk and the entropy device without pause), and continued by
 * another process (issue 19): {@code jvmm ctl snapshot --stop}, then {@code jvmm run --restore}. The
 * restored guest drops its page cache and reads the whole disk and 1 KiB of entropy: the disk's
 * SHA-256 must be the host's and the read complete, through the restored virtqueues and MSI-X
 * vectors, with no I/O error and no kernel boot.
 */
@RequiresKvm(unmodifiedGuest = true)
class LinuxVirtioSnapshotKvmTest {
    private static final String READY = "JVMM-SHELL-READY";
    private static final int DISK_BYTES = 4 << 20;
    private static final List<String> MODULES = List.of(
            "virtio/virtio_ring.ko", "virtio/virtio.ko", "virtio/virtio_pci_modern_dev.ko",
            "virtio/virtio_pci_legacy_dev.ko", "virtio/virtio_pci.ko", "block/virtio_blk.ko",
            "char/hw_random/virtio-rng.ko");
    private static final List<String> INIT = LinuxGuest.init(
            "mount -t devtmpfs dev /dev",
            "for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk"
                    + " virtio-rng; do",
            "  insmod /lib/$m.ko || echo \"JVMM-FACT insmod failed: $m\"",
            "done",
            "echo \"JVMM-FACT before: $(dd if=/dev/vda bs=65536 2>/dev/null | sha256sum | cut -c1-64)"
                    + " $(head -c 1024 /dev/hwrng | wc -c)\"",
            "( while true; do dd if=/dev/vda of=/dev/null bs=4096 count=64 skip=$((RANDOM % 960)) 2>/dev/null;"
                    + " echo 3 > /proc/sys/vm/drop_caches; head -c 512 /dev/hwrng > /dev/null; done ) &",
            "echo \"" + READY + "\"",
            "exec /bin/sh");

    @TempDir
    Path dir;

    @Test
    @ScaledTimeout(300)
    void linuxWithBusyVirtioDevicesContinuesInANewProcess() throws Exception {
        Path kernel = LinuxGuest.bzImage();
        Map<String, Path> files = new LinkedHashMap<>();
        for (String m : MODULES) {
            files.put("lib/" + m.substring(m.lastIndexOf('/') + 1), LinuxGuest.module(kernel, "drivers/" + m));
        }
        Path initrd = LinuxGuest.initramfs(dir, INIT, files);
        byte[] disk = new byte[DISK_BYTES];
        new Random(19).nextBytes(disk);
        Path image = Files.write(dir.resolve("disk.img"), disk);
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(disk));

        Path snap = dir.resolve("snap");
        Path sock1 = dir.resolve("first.sock");
        AtomicReference<CliHarness> snapshot = new AtomicReference<>();
        LinuxGuest.Boot first = LinuxGuest.boot(dir, kernel, initrd, LinuxBootKvmTest.CMDLINE,
                List.of("--disk", image.toString(), "--rng", "--api-socket", sock1.toString(), "--on-reset", "exit"),
                READY, console -> snapshot.set(CliHarness.run("ctl", "--api-socket", sock1.toString(), "--timeout",
                        "120", "snapshot", snap.toString(), "--stop")));
        assertTrue(first.console().contains(READY), "Linux did not reach the shell: " + first.why());
        assertTrue(!first.console().contains("insmod failed"), "a module did not load" + first.why());
        assertEquals("JVMM-FACT before: " + sha + " 1024", first.fact("before:"), "the disk and entropy before"
                + first.why());
        CliHarness snapped = snapshot.get();
        assertEquals(0, snapped.exitCode(), snapped.err() + first.why());
        System.out.println("Linux virtio snapshot: " + snapped.out().replace('\n', ' '));
        assertEquals(0, first.run().exitCode(), first.why());

        Path com1 = dir.resolve("com1-restored.out");
        Path sock2 = dir.resolve("restored.sock");
        Path err = dir.resolve("restored.err");
        long start = System.nanoTime();
        Process p = new ProcessBuilder(JvmmProcess.command(List.of(), "run", "--restore", snap.toString(),
                "--serial", "1=file=" + com1, "--disk", image.toString(), "--rng", "--api-socket", sock2.toString()))
                .directory(dir.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(dir.resolve("restored.out").toFile()).redirectError(err.toFile()).start();
        try {
            long end = System.nanoTime() + LinuxGuest.bootTimeout().toNanos();
            while (!ControlServer.isSocketFile(sock2) && p.isAlive() && System.nanoTime() < end) {
                Thread.sleep(50); // waiting for a socket file the child creates: nothing to wait on
            }
            CliHarness send = CliHarness.run("ctl", "--api-socket", sock2.toString(), "serial-send", "1",
                    "echo 3 > /proc/sys/vm/drop_caches; echo JVMM-ANSWER $(dd if=/dev/vda bs=65536 2>/dev/null"
                            + " | sha256sum | cut -c1-64) $(head -c 1024 /dev/hwrng | wc -c)\n");
            assertEquals(0, send.exitCode(), send.err() + Files.readString(err));
            String expected = "JVMM-ANSWER " + sha + " 1024";
            String console = VmHarness.awaitFile(com1, t -> t.contains(expected), LinuxGuest.bootTimeout());
            System.out.printf("Linux with virtio devices restored and answered %.1f s after the process started%n",
                    (System.nanoTime() - start) / 1e9);
            assertTrue(console.contains(expected), "the restored guest did not read the disk and entropy back: "
                    + console + "\nstderr: " + Files.readString(err));
            assertTrue(!console.contains("Linux version"), "the restored kernel booted again: " + console);
            assertTrue(!console.contains("I/O error") && !console.contains("blocked for more than"),
                    "the restored disk failed: " + console);
            CliHarness stop = CliHarness.run("ctl", "--api-socket", sock2.toString(), "shutdown", "--force");
            assertEquals(0, stop.exitCode(), stop.err());
            assertTrue(p.waitFor(TestTime.seconds(30).toMillis(), TimeUnit.MILLISECONDS));
            assertEquals(0, p.exitValue(), Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            if (p.isAlive()) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
