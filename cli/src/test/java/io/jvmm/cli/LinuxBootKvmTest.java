package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.testkit.RequiresKvm;
import io.jvmm.testkit.ScaledTimeout;
import java.nio.file.Path;
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
 * <p>{@code reboot=t}: Linux reboots by triple fault (the other methods: {@link LinuxPowerKvmTest}).
 *
 * <p>Needs a kernel and busybox ({@link LinuxGuest}); {@code .ci/run} sets them. On {@code kvm_pvm}
 * it skips (unmodified Linux stops there); {@code ci/nested-kvm/kvm-tests.sh} runs it where KVM is
 * real.
 */
@RequiresKvm(unmodifiedGuest = true)
class LinuxBootKvmTest {
    static final String CMDLINE = "console=ttyS0 earlyprintk=serial,ttyS0,115200 reboot=t panic=-1 nokaslr";
    private static final String MARKER = "JVMM-USERSPACE: init is pid 1";
    private static final String DONE = "JVMM-USERSPACE: rebooting";

    /** What /init prints: the marker, facts Linux reports about the machine, then it reboots. */
    private static final List<String> INIT = LinuxGuest.init(
            "echo \"JVMM-FACT kernel: $(uname -r)\"",
            "echo \"JVMM-FACT cpus online: $(cat /sys/devices/system/cpu/online)\"",
            "echo \"JVMM-FACT $(grep MemTotal /proc/meminfo)\"",
            "echo \"JVMM-FACT cmdline: $(cat /proc/cmdline)\"",
            "echo \"JVMM-FACT uptime: $(cut -d' ' -f1 /proc/uptime) s\"",
            "echo \"" + DONE + "\"",
            "reboot -f");

    @TempDir
    Path dir;

    @Test
    @ScaledTimeout(150)
    void bzImageBootsToUserspaceAndItsRebootEndsTheRun() throws Exception {
        boot(LinuxGuest.bzImage());
    }

    @Test
    @ScaledTimeout(150)
    void elfVmlinuxThroughPvhBootsToUserspaceAndItsRebootEndsTheRun() throws Exception {
        boot(LinuxGuest.vmlinux());
    }

    private void boot(Path kernel) throws Exception {
        Path initrd = LinuxGuest.initramfs(dir, INIT, LinuxGuest.noFiles());
        LinuxGuest.Boot boot = LinuxGuest.boot(dir, kernel, initrd, CMDLINE, "--on-reset", "exit");
        String console = boot.console();
        System.out.printf("Linux boot (%s): exit %d after %.1f s; %s%n  %s%n  stderr: %s%n", kernel.getFileName(),
                boot.run().exitCode(), boot.seconds(), line(console, "Linux version"),
                String.join("\n  ", boot.facts()), boot.run().err().strip());

        assertTrue(console.contains("Linux version "), "no Linux banner on COM1: " + boot.why());
        assertTrue(console.contains(MARKER), "Linux did not reach our /init: " + boot.why());
        assertTrue(console.contains("JVMM-FACT cmdline: " + CMDLINE), "/proc/cmdline differs: " + boot.why());
        assertTrue(console.contains(DONE), "/init did not get to its reboot: " + boot.why());
        assertTrue(console.contains("reboot: Restarting system"), "Linux did not restart: " + boot.why());
        assertEquals(0, boot.run().exitCode(), "a reboot under --on-reset exit ends the run with 0: " + boot.why());
        assertTrue(boot.ending().startsWith("jvmm: the guest reset: vCPU 0 triple-faulted at "),
                "the run says why it ended: " + boot.run().err());
    }

    private static String line(String text, String start) {
        return text.lines().filter(l -> l.contains(start)).findFirst().orElse("(no line with '" + start + "')").strip();
    }
}
