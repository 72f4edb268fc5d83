package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jvmm.testkit.RequiresKvm;
import io.jvmm.testkit.ScaledTimeout;
import io.jvmm.testkit.TestTime;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The unmodified Debian kernel drives two {@code --disk} virtio block devices with its own
 * {@code virtio_pci} and {@code virtio_blk} modules and reads and writes ext4 on them: the test
 * makes a read-only image with {@code mkfs.ext4 -d} holding 300 KiB of known bytes and an empty
 * read-write one; /init loads the virtio modules, {@code virtio_blk} and ext4 with its dependencies
 * ({@code crc16}, {@code mbcache}, {@code jbd2}, {@code crc32c_generic}: {@code modinfo -F depends}
 * and ext4's checksums), mounts vda read-only and reports the file's SHA-256, tries to write vda
 * (Linux refuses: it marked the disk read-only from VIRTIO_BLK_F_RO, and {@code blockdev --setrw}
 * does not clear that), mounts vdb, copies the file there and writes a note, {@code sync}s,
 * unmounts and powers off. The host then checks vdb with {@code e2fsck -fn}, reads both files back
 * with {@code debugfs} and checks that the read-only image did not change by one byte.
 *
 * <p>Needs the kernel with its modules and busybox ({@link LinuxGuest}), e2fsprogs on the host,
 * and real KVM.
 */
@RequiresKvm(unmodifiedGuest = true)
class LinuxVirtioBlkKvmTest {
    static final String CMDLINE = "console=ttyS0 panic=-1 nokaslr";
    private static final List<String> MODULES = List.of(
            "drivers/virtio/virtio_ring.ko", "drivers/virtio/virtio.ko", "drivers/virtio/virtio_pci_modern_dev.ko",
            "drivers/virtio/virtio_pci_legacy_dev.ko", "drivers/virtio/virtio_pci.ko", "drivers/block/virtio_blk.ko",
            "lib/crc16.ko", "fs/mbcache.ko", "fs/jbd2/jbd2.ko", "crypto/crc32c_generic.ko", "fs/ext4/ext4.ko");
    static final String NOTE = "written by Linux on vdb through virtio-blk";
    static final int DATA_BYTES = 300 * 1024;

    private static final List<String> INIT = LinuxGuest.init(
            "mount -t devtmpfs dev /dev",
            "for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk"
                    + " crc16 mbcache jbd2 crc32c_generic ext4; do",
            "  insmod /lib/$m.ko || echo \"JVMM-FACT insmod failed: $m\"",
            "done",
            "for d in /sys/bus/pci/devices/*; do",
            "  echo \"JVMM-FACT pci ${d##*/}: $(cat $d/vendor) $(cat $d/device) $(cat $d/class)\"",
            "done",
            "for b in vda vdb; do",
            "  echo \"JVMM-FACT $b: size $(cat /sys/block/$b/size) ro $(cat /sys/block/$b/ro)"
                    + " serial $(cat /sys/block/$b/serial)\"",
            "done",
            "mkdir -p /ro /rw",
            "mount -t ext4 -o ro /dev/vda /ro; echo \"JVMM-FACT mount vda: $?\"",
            "echo \"JVMM-FACT sha256: $(sha256sum /ro/data.bin)\"",
            "dd if=/dev/zero of=/dev/vda bs=4096 count=1 conv=fsync 2>/dd.err;"
                    + " echo \"JVMM-FACT ro write: $? $(grep -o 'dd: .*' /dd.err | head -n 1)\"",
            "umount /ro",
            "blockdev --setrw /dev/vda",
            "dd if=/dev/zero of=/dev/vda bs=4096 count=1 conv=fsync 2>/dd.err;"
                    + " echo \"JVMM-FACT ro write after setrw: $? $(grep -o 'dd: .*' /dd.err | head -n 1)\"",
            "mount -t ext4 /dev/vdb /rw; echo \"JVMM-FACT mount vdb: $?\"",
            "mount -t ext4 -o ro /dev/vda /ro; cp /ro/data.bin /rw/copy.bin; echo \"JVMM-FACT copy: $?\"",
            "echo '" + NOTE + "' > /rw/note.txt",
            "sync; echo \"JVMM-FACT sync: $?\"",
            "echo \"JVMM-FACT fstrim: $(fstrim -v /rw 2>&1)\"",
            "umount /rw; echo \"JVMM-FACT umount vdb: $?\"",
            "umount /ro",
            "grep -E 'virtio' /proc/interrupts | sed 's/  */ /g; s/^/JVMM-FACT irq:/'",
            "echo 'JVMM-USERSPACE: powering off'",
            "poweroff -f");

    @TempDir
    Path dir;

    @Test
    @ScaledTimeout(180)
    void linuxReadsAndWritesExt4OnVirtioDisks() throws Exception {
        Path mkfs = tool("mkfs.ext4");
        Path e2fsck = tool("e2fsck");
        Path debugfs = tool("debugfs");
        Path kernel = LinuxGuest.bzImage();
        Map<String, Path> files = new LinkedHashMap<>();
        for (String m : MODULES) {
            files.put("lib/" + m.substring(m.lastIndexOf('/') + 1), LinuxGuest.module(kernel, m));
        }
        Path initrd = LinuxGuest.initramfs(dir, INIT, files);

        byte[] data = new byte[DATA_BYTES];
        new Random(17).nextBytes(data);
        Path content = Files.createDirectory(dir.resolve("content"));
        Files.write(content.resolve("data.bin"), data);
        Path roImage = image("ro.img", 8 << 20);
        run(mkfs, "-q", "-F", "-d", content.toString(), roImage.toString());
        Path rwImage = image("rw.img", 16 << 20);
        run(mkfs, "-q", "-F", rwImage.toString());
        String roBefore = sha256(Files.readAllBytes(roImage));

        LinuxGuest.Boot boot = LinuxGuest.boot(dir, kernel, initrd, CMDLINE, "--disk", roImage + ",ro",
                "--disk", rwImage.toString());
        System.out.printf("Linux virtio-blk boot: exit %d after %.1f s%n  %s%n  stderr: %s%n", boot.run().exitCode(),
                boot.seconds(), String.join("\n  ", boot.facts()), boot.run().err().strip());
        String why = boot.why();

        assertTrue(!boot.console().contains("JVMM-FACT insmod failed"), "a module did not load" + why);
        assertEquals("JVMM-FACT pci 0000:00:06.0: 0x1af4 0x1042 0x010000", boot.fact("pci 0000:00:06.0:"),
                "the first --disk is a modern virtio block device in slot 6" + why);
        assertEquals("JVMM-FACT pci 0000:00:07.0: 0x1af4 0x1042 0x010000", boot.fact("pci 0000:00:07.0:"),
                "the second in slot 7" + why);
        assertEquals("JVMM-FACT vda: size " + (8 << 20) / 512 + " ro 1 serial ro.img", boot.fact("vda:"),
                "vda: the capacity in sectors, read-only, the file name as serial (GET_ID)" + why);
        assertEquals("JVMM-FACT vdb: size " + (16 << 20) / 512 + " ro 0 serial rw.img", boot.fact("vdb:"), why);
        assertEquals("JVMM-FACT mount vda: 0", boot.fact("mount vda:"), why);
        assertEquals("JVMM-FACT sha256: " + sha256(data) + "  /ro/data.bin", boot.fact("sha256:"),
                "Linux read the file intact from the read-only disk" + why);
        // Linux marks the disk read-only (VIRTIO_BLK_F_RO → set_disk_ro), so the write fails at open, and
        // blockdev --setrw cannot clear the disk's own flag; the device's IOERR for writes is unit-tested.
        String refused = "[1-9]\\d* dd: .*(Read-only file system|Operation not permitted|Permission denied).*";
        assertTrue(boot.fact("ro write:").matches("JVMM-FACT ro write: " + refused),
                "writing the read-only vda failed: " + boot.fact("ro write:") + why);
        assertTrue(boot.fact("ro write after setrw:").matches("JVMM-FACT ro write after setrw: " + refused),
                "also after blockdev --setrw: " + boot.fact("ro write after setrw:") + why);
        assertEquals("JVMM-FACT mount vdb: 0", boot.fact("mount vdb:"), why);
        assertEquals("JVMM-FACT copy: 0", boot.fact("copy:"), why);
        assertEquals("JVMM-FACT sync: 0", boot.fact("sync:"), why);
        assertEquals("JVMM-FACT umount vdb: 0", boot.fact("umount vdb:"), why);
        assertTrue(boot.console().contains("reboot: Power down"), "Linux did not power down" + why);
        assertEquals(0, boot.run().exitCode(), "a power-off ends the run with 0" + why);

        assertEquals(roBefore, sha256(Files.readAllBytes(roImage)), "the read-only image is unchanged");
        Result fsck = run(e2fsck, "-fn", rwImage.toString());
        assertEquals(0, fsck.exit, "e2fsck -fn finds vdb's file system clean:\n" + fsck.out);
        assertArrayEquals(data, run(debugfs, "-R", "cat /copy.bin", rwImage.toString()).bytes,
                "the file Linux copied to vdb is on the host image, intact");
        assertEquals(NOTE + "\n", new String(run(debugfs, "-R", "cat /note.txt", rwImage.toString()).bytes,
                StandardCharsets.UTF_8), "and the note");
    }

    /** An e2fsprogs tool, from PATH or /sbin, /usr/sbin; a skip when e2fsprogs is missing. */
    static Path tool(String name) {
        List<Path> dirs = new ArrayList<>();
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!d.isEmpty()) {
                dirs.add(Path.of(d));
            }
        }
        dirs.add(Path.of("/usr/sbin"));
        dirs.add(Path.of("/sbin"));
        for (Path d : dirs) {
            Path p = d.resolve(name);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        assumeTrue(false, "virtio-blk Linux test SKIPPED: no " + name + " (apt-get install e2fsprogs)");
        return null;
    }

    private Path image(String name, long size) throws IOException {
        Path p = dir.resolve(name);
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(size);
        }
        return p;
    }

    record Result(int exit, byte[] bytes, String out) {}

    /** Runs a host tool to its end; stdout as bytes, stdout and stderr as text for messages. */
    static Result run(Path tool, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(tool.toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        var errReader = p.getErrorStream();
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(errReader.readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(TestTime.seconds(60).toMillis(), TimeUnit.MILLISECONDS), cmd + " did not end");
        if (tool.getFileName().toString().startsWith("mkfs")) {
            assertEquals(0, p.exitValue(), cmd + " failed: " + err);
        }
        return new Result(p.exitValue(), out, new String(out, StandardCharsets.UTF_8) + err);
    }

    static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }
}
