package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jvmm.testkit.RequiresKvm;
import io.jvmm.testkit.ScaledTimeout;
import io.jvmm.testkit.TestTime;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The unmodified Debian amd64 kernel booted to userspace by {@code jvmm run}, through the Linux
 * loader, real KVM and the emulated 16550: an initramfs made here (busybox and an /init script)
 * prints a marker and facts about the machine over COM1 and reboots, and the run must end by itself
 * with exit 0 under {@code --on-reset exit}. Both entry points: the bzImage (boot protocol) and the
 * ELF vmlinux inside it (PVH).
 *
 * <p>{@code reboot=t}: Linux reboots by triple fault. Its default keyboard-controller method needs
 * an i8042, which the default chipset lacks, and its BIOS method jumps to a reset vector where a
 * direct-booted VM has no firmware.
 *
 * <p>Needs a kernel: {@code JVMM_LINUX_KERNEL} (or {@code -Djvmm.test.linux}) names the bzImage,
 * {@code JVMM_LINUX_VMLINUX} (or {@code -Djvmm.test.vmlinux}) the ELF vmlinux;
 * {@code cli/src/test/linux/fetch-kernel.sh} fetches both, and {@code .ci/run} sets them. Needs
 * {@code /bin/busybox} (Debian's busybox-static). On {@code kvm_pvm} it skips (unmodified Linux
 * stops there); {@code ci/nested-kvm/kvm-tests.sh} runs it where KVM is real.
 */
@RequiresKvm(unmodifiedGuest = true)
class LinuxBootKvmTest {
    static final String CMDLINE = "console=ttyS0 earlyprintk=serial,ttyS0,115200 reboot=t panic=-1 nokaslr";
    private static final String MARKER = "JVMM-USERSPACE: init is pid 1";
    private static final String DONE = "JVMM-USERSPACE: rebooting";
    private static final Path BUSYBOX = Path.of("/bin/busybox");
    /**
     * How long a boot to userspace and back may take before it counts as stalled: seconds on real
     * KVM; in the nested-KVM L1 (time scale 4, ci/nested-kvm) about 40 s, and 240 s there stops
     * a boot that QEMU's emulated SVM stalled (see ci/nested-kvm/README.md) well within the L1
     * session's limit.
     */
    static final Duration LINUX_RUN_LIMIT = TestTime.seconds(60);

    /** What /init prints: the marker, facts Linux reports about the machine, then it reboots. */
    private static final String INIT = String.join("\n",
            "#!/bin/busybox sh",
            "export PATH=/bin",
            "/bin/busybox --install -s /bin",
            "mount -t proc proc /proc",
            "mount -t sysfs sysfs /sys",
            "echo \"JVMM-USERSPACE: init is pid $$\"",
            "echo \"JVMM-FACT kernel: $(uname -r)\"",
            "echo \"JVMM-FACT cpus online: $(cat /sys/devices/system/cpu/online)\"",
            "echo \"JVMM-FACT $(grep MemTotal /proc/meminfo)\"",
            "echo \"JVMM-FACT cmdline: $(cat /proc/cmdline)\"",
            "echo \"JVMM-FACT uptime: $(cut -d' ' -f1 /proc/uptime) s\"",
            "echo \"" + DONE + "\"",
            "reboot -f",
            "");

    @TempDir
    Path dir;

    @Test
    @ScaledTimeout(150)
    void bzImageBootsToUserspaceAndItsRebootEndsTheRun() throws Exception {
        boot(kernel("jvmm.test.linux", "JVMM_LINUX_KERNEL", "a bzImage"));
    }

    @Test
    @ScaledTimeout(150)
    void elfVmlinuxThroughPvhBootsToUserspaceAndItsRebootEndsTheRun() throws Exception {
        boot(kernel("jvmm.test.vmlinux", "JVMM_LINUX_VMLINUX", "an ELF vmlinux"));
    }

    /** The kernel the property or environment variable names, or a skip saying how to get one. */
    private static Path kernel(String property, String env, String what) {
        String path = System.getProperty(property);
        if (path == null || path.isBlank()) {
            path = System.getenv(env);
        }
        assumeTrue(path != null && !path.isBlank(), "Linux boot test SKIPPED: set " + env + " (or -D" + property
                + ") to " + what + "; cli/src/test/linux/fetch-kernel.sh fetches the Debian amd64 kernel");
        Path kernel = Path.of(path);
        assertTrue(Files.isRegularFile(kernel), env + "/" + property + " names " + kernel + ", which is not a file");
        assumeTrue(Files.isExecutable(BUSYBOX), "Linux boot test SKIPPED: no " + BUSYBOX
                + " for the initramfs (apt-get install busybox-static)");
        return kernel;
    }

    private void boot(Path kernel) throws Exception {
        Path initrd = dir.resolve("initramfs.cpio");
        Files.write(initrd, new Initramfs()
                .directory("bin").directory("dev").directory("proc").directory("sys")
                .characterDevice("dev/console", 5, 1)
                .file("bin/busybox", 0755, Files.readAllBytes(BUSYBOX))
                .file("init", 0755, INIT.getBytes(StandardCharsets.US_ASCII))
                .toBytes());
        Path com1 = dir.resolve("com1.out");
        long start = System.nanoTime();
        JvmmProcess run;
        try {
            run = JvmmProcess.run(dir, LINUX_RUN_LIMIT, "run", "--kernel", kernel.toString(), "--initrd",
                    initrd.toString(), "--cmdline", CMDLINE, "--memory", "512M", "--on-reset", "exit", "--serial",
                    "1=file=" + com1);
        } catch (AssertionError timeout) {
            String console = Files.exists(com1) ? Files.readString(com1, StandardCharsets.ISO_8859_1) : "";
            throw new AssertionError(timeout.getMessage() + "\nCOM1 so far:\n" + (console.length() <= 4000 ? console
                    : "..." + console.substring(console.length() - 4000)), timeout);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        String console = Files.exists(com1) ? Files.readString(com1, StandardCharsets.ISO_8859_1) : "";
        List<String> facts = console.lines().filter(l -> l.startsWith("JVMM-")).toList();
        System.out.printf("Linux boot (%s): exit %d after %.1f s; %s%n  %s%n  stderr: %s%n", kernel.getFileName(),
                run.exitCode(), seconds, line(console, "Linux version"), String.join("\n  ", facts),
                run.err().strip());

        assertTrue(console.contains("Linux version "), "no Linux banner on COM1: " + tail(console, run));
        assertTrue(console.contains(MARKER), "Linux did not reach our /init: " + tail(console, run));
        assertTrue(console.contains("JVMM-FACT cmdline: " + CMDLINE), "/proc/cmdline differs: " + tail(console, run));
        assertTrue(console.contains(DONE), "/init did not get to its reboot: " + tail(console, run));
        assertTrue(console.contains("reboot: Restarting system"), "Linux did not restart: " + tail(console, run));
        assertEquals(0, run.exitCode(), "a reboot under --on-reset exit ends the run with 0: " + tail(console, run));
        assertTrue(run.err().lines().anyMatch(l -> l.startsWith("jvmm: the guest reset: vCPU 0 triple-faulted at ")),
                "the run says why it ended: " + run.err());
    }

    private static String line(String text, String start) {
        return text.lines().filter(l -> l.contains(start)).findFirst().orElse("(no line with '" + start + "')").strip();
    }

    private static String tail(String console, JvmmProcess run) {
        String text = console.length() <= 3000 ? console : "..." + console.substring(console.length() - 3000);
        return text + "\n(exit " + run.exitCode() + ", stderr: " + run.err() + ")";
    }
}
