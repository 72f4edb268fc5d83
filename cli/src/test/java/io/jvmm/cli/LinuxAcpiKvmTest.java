package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jvmm.testkit.RequiresKvm;
import io.jvmm.testkit.ScaledTimeout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The unmodified Debian kernel on 2 vCPUs finds jvmm's ACPI tables and acts on them: its /init
 * (busybox) reports the tables it found, the CPUs it brought up (through the MADT), the interrupt
 * controller of COM1's IRQ 4 and of the SCI (the IOAPIC, through the MADT), the PNP devices the DSDT
 * lists, and then powers off through ACPI S5 ({@code \_S5}, PM1a control of dev-pm), which must end
 * the run with exit 0 and the power-off cause. No {@code reboot=}/{@code acpi=} options: ACPI is
 * Linux's default once an RSDP is there.
 *
 * <p>Needs the kernel and busybox as {@link LinuxBootKvmTest} does, and real KVM.
 */
@RequiresKvm(unmodifiedGuest = true)
class LinuxAcpiKvmTest {
    static final String CMDLINE = "console=ttyS0 panic=-1 nokaslr";
    private static final Path BUSYBOX = Path.of("/bin/busybox");
    private static final String DONE = "JVMM-USERSPACE: powering off";

    private static final String INIT = String.join("\n",
            "#!/bin/busybox sh",
            "export PATH=/bin",
            "/bin/busybox --install -s /bin",
            "mount -t proc proc /proc",
            "mount -t sysfs sysfs /sys",
            "echo \"JVMM-USERSPACE: init is pid $$\"",
            "echo \"JVMM-FACT acpi tables: $(ls /sys/firmware/acpi/tables | tr '\\n' ' ')\"",
            "echo \"JVMM-FACT cpus online: $(cat /sys/devices/system/cpu/online)\"",
            "echo \"JVMM-FACT processors: $(grep -c ^processor /proc/cpuinfo)\"",
            "grep -E '^ *(4|9):' /proc/interrupts | sed 's/  */ /g; s/^/JVMM-FACT irq:/'",
            "echo \"JVMM-FACT pnp ids: $(cat /sys/bus/pnp/devices/*/id | tr '\\n' ' ')\"",
            "echo \"" + DONE + "\"",
            "poweroff -f",
            "");

    @TempDir
    Path dir;

    @Test
    @ScaledTimeout(150)
    void linuxUsesTheTablesForSmpIoapicAndPowerOff() throws Exception {
        String path = System.getProperty("jvmm.test.linux");
        if (path == null || path.isBlank()) {
            path = System.getenv("JVMM_LINUX_KERNEL");
        }
        assumeTrue(path != null && !path.isBlank(), "Linux ACPI test SKIPPED: set JVMM_LINUX_KERNEL (or "
                + "-Djvmm.test.linux) to a bzImage; cli/src/test/linux/fetch-kernel.sh fetches the Debian kernel");
        assumeTrue(Files.isExecutable(BUSYBOX), "Linux ACPI test SKIPPED: no " + BUSYBOX
                + " for the initramfs (apt-get install busybox-static)");
        Path initrd = dir.resolve("initramfs.cpio");
        Files.write(initrd, new Initramfs()
                .directory("bin").directory("dev").directory("proc").directory("sys")
                .characterDevice("dev/console", 5, 1)
                .file("bin/busybox", 0755, Files.readAllBytes(BUSYBOX))
                .file("init", 0755, INIT.getBytes(StandardCharsets.US_ASCII))
                .toBytes());
        Path com1 = dir.resolve("com1.out");
        JvmmProcess run;
        try {
            run = JvmmProcess.run(dir, LinuxBootKvmTest.LINUX_RUN_LIMIT, "run", "--kernel", path, "--initrd",
                    initrd.toString(), "--cmdline", CMDLINE, "--memory", "512M", "--cpus", "2", "--acpi", "--serial",
                    "1=file=" + com1);
        } catch (AssertionError timeout) {
            String console = Files.exists(com1) ? Files.readString(com1, StandardCharsets.ISO_8859_1) : "";
            throw new AssertionError(timeout.getMessage() + "\nCOM1 so far:\n" + tail(console), timeout);
        }
        String console = Files.exists(com1) ? Files.readString(com1, StandardCharsets.ISO_8859_1) : "";
        List<String> facts = console.lines().filter(l -> l.startsWith("JVMM-")).toList();
        System.out.printf("Linux ACPI boot: exit %d%n  %s%n  stderr: %s%n", run.exitCode(),
                String.join("\n  ", facts), run.err().strip());
        String why = "\n" + tail(console) + "\n(exit " + run.exitCode() + ", stderr: " + run.err() + ")";

        assertTrue(console.contains(DONE), "/init did not get to its power-off" + why);
        for (String table : List.of("APIC", "DSDT", "FACP", "FACS")) {
            assertTrue(fact(facts, "acpi tables:").contains(table), table + " not in /sys/firmware/acpi/tables" + why);
        }
        assertEquals("JVMM-FACT cpus online: 0-1", fact(facts, "cpus online:"), "both vCPUs up" + why);
        assertTrue(fact(facts, "irq: 4:").contains("IO-APIC") && fact(facts, "irq: 4:").contains("ttyS0"),
                "COM1's IRQ 4 goes through the IOAPIC" + why);
        assertTrue(fact(facts, "irq: 9:").contains("IO-APIC") && fact(facts, "irq: 9:").contains("fasteoi")
                && fact(facts, "irq: 9:").contains("acpi"), "the SCI is level-triggered on the IOAPIC" + why);
        assertTrue(fact(facts, "pnp ids:").contains("PNP0501"), "the DSDT's COM ports are PNP devices" + why);
        assertTrue(!console.contains("ACPI Error") && !console.contains("ACPI BIOS Error")
                && !console.contains("ACPI Warning"), "ACPI complained" + why);
        assertTrue(console.contains("reboot: Power down"), "Linux did not power down" + why);
        assertEquals(0, run.exitCode(), "a power-off ends the run with 0" + why);
        assertTrue(run.err().lines().anyMatch(l -> l.startsWith("jvmm: the guest powered off: ")),
                "the run says why it ended: " + run.err());
    }

    private static String fact(List<String> facts, String key) {
        return facts.stream().filter(l -> l.startsWith("JVMM-FACT " + key)).findFirst()
                .orElse("(no fact '" + key + "')");
    }

    private static String tail(String console) {
        return console.length() <= 4000 ? console : "..." + console.substring(console.length() - 4000);
    }
}
