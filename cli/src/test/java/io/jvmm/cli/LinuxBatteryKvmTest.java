package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import io.jvmm.runtime.sandbox.Initramfs;
import io.jvmm.testkit.RequiresKvm;
import io.jvmm.testkit.ScaledTimeout;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The battery, its AC adapter, the i8042 and the RTC as the unmodified Debian kernel sees them
 * through the DSDT nodes the devices contribute: its /init loads the kernel's {@code battery},
 * {@code ac} and {@code button} modules (from the modules tree fetch-kernel.sh extracts beside the
 * bzImage), lists {@code /sys/bus/acpi/devices}, prints BAT0's capacity (95, from {@code --battery
 * 95%}) and the AC adapter's {@code online}; once that reading is on COM1 the test runs {@code jvmm
 * ctl battery 40%} over the control socket, and the guest, polling, sees 40 without a reboot. That
 * the change came through the GPE0/SCI notify path ({@code \_GPE._E09}: {@code Notify(BAT0, 0x80)})
 * shows in GPE 9's count in {@code /sys/firmware/acpi/interrupts}. Then {@code poweroff -f}
 * (ACPI S5) ends the run with exit 0, and Linux must not have logged an ACPI error. The same boot
 * checks the PCI root bridge dev-pci-bus declares: Linux finds {@code PCI0} ({@code PNP0A03})
 * through ACPI, takes bus 0's I/O and memory windows and bus range from its {@code _CRS} without
 * clipping any by an e820 reservation, and reads the i440FX's class at 00:00.0.
 *
 * <p>The board is the default chipset's plus an i8042 (from {@code jvmm manifest}, edited), so
 * that the keyboard controller's node is there too. Needs what {@link LinuxAcpiKvmTest} needs.
 */
@RequiresKvm(unmodifiedGuest = true)
class LinuxBatteryKvmTest {
    private static final Path BUSYBOX = Path.of("/bin/busybox");
    private static final String FIRST = "JVMM-BATTERY first: ";
    private static final String THEN = "JVMM-BATTERY then: ";
    private static final String DONE = "JVMM-USERSPACE: powering off";
    private static final List<String> MODULES = List.of("battery", "ac", "button");
    private static final String CAPACITY = "/sys/class/power_supply/BAT0/capacity";

    private static final String INIT = String.join("\n",
            "#!/bin/busybox sh",
            "export PATH=/bin",
            "/bin/busybox --install -s /bin",
            "mount -t proc proc /proc",
            "mount -t sysfs sysfs /sys",
            "for m in battery ac button; do insmod /lib/modules/$m.ko || echo \"JVMM-FACT insmod $m failed\"; done",
            "echo \"JVMM-FACT acpi devices: $(ls /sys/bus/acpi/devices | tr '\\n' ' ')\"",
            "echo \"JVMM-FACT power supplies: $(ls /sys/class/power_supply | tr '\\n' ' ')\"",
            // the driver registers BAT0 asynchronously; bounded wait
            "i=0; while [ ! -e " + CAPACITY + " ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done",
            "echo \"JVMM-FACT ac online: $(cat /sys/class/power_supply/AC/online)\"",
            "echo \"JVMM-FACT bat0 status: $(cat /sys/class/power_supply/BAT0/status)\"",
            "echo \"JVMM-FACT gpe09 before: $(cat /sys/firmware/acpi/interrupts/gpe09)\"",
            "first=$(cat " + CAPACITY + ")",
            "echo \"" + FIRST + "$first\"",
            "i=0; while [ \"$(cat " + CAPACITY + ")\" = \"$first\" ] && [ $i -lt 1800 ]; do sleep 0.1; i=$((i+1)); done",
            "echo \"" + THEN + "$(cat " + CAPACITY + ")\"",
            "echo \"JVMM-FACT gpe09 after: $(cat /sys/firmware/acpi/interrupts/gpe09)\"",
            "echo \"JVMM-FACT ac online after: $(cat /sys/class/power_supply/AC/online)\"",
            "dmesg | grep -E 'ACPI (BIOS )?(Error|Warning)' | sed 's/^/JVMM-DMESG /'",
            // the PCI root bridge PCI0 (dev-pci-bus's node): found through ACPI, its _CRS windows taken
            "echo \"JVMM-FACT pci0 node: $(ls -d /sys/bus/acpi/devices/PNP0A03:00 2>&1)\"",
            "echo \"JVMM-FACT host bridge class: $(cat /sys/bus/pci/devices/0000:00:00.0/class 2>&1)\"",
            "dmesg | grep -E 'PCI Root Bridge|root bus resource|PNP0A03|clipped|E820 reservations|PCI: Using' "
                    + "| sed 's/^/JVMM-PCI /'",
            "echo \"" + DONE + "\"",
            "poweroff -f",
            "");

    @TempDir
    Path dir;

    @Test
    @ScaledTimeout(150)
    void linuxSeesTheBatteryChangeThroughTheGpeAndTheDevicesNodes() throws Exception {
        String kernel = System.getProperty("jvmm.test.linux");
        if (kernel == null || kernel.isBlank()) {
            kernel = System.getenv("JVMM_LINUX_KERNEL");
        }
        assumeTrue(kernel != null && !kernel.isBlank(), "Linux battery test SKIPPED: set JVMM_LINUX_KERNEL (or "
                + "-Djvmm.test.linux) to a bzImage; cli/src/test/linux/fetch-kernel.sh fetches the Debian kernel");
        assumeTrue(Files.isExecutable(BUSYBOX), "Linux battery test SKIPPED: no " + BUSYBOX
                + " for the initramfs (apt-get install busybox-static)");
        Path acpiModules = acpiModules(Path.of(kernel));
        assumeTrue(acpiModules != null, "Linux battery test SKIPPED: no battery/ac/button modules beside " + kernel
                + " (fetch-kernel.sh extracts them to linux-image-<abi>/lib/modules/<abi>/)");

        Initramfs initramfs = new Initramfs()
                .directory("bin").directory("dev").directory("proc").directory("sys").directory("lib")
                .directory("lib/modules")
                .characterDevice("dev/console", 5, 1)
                .file("bin/busybox", 0755, Files.readAllBytes(BUSYBOX))
                .file("init", 0755, INIT.getBytes(StandardCharsets.US_ASCII));
        for (String m : MODULES) {
            initramfs.file("lib/modules/" + m + ".ko", 0644, Files.readAllBytes(acpiModules.resolve(m + ".ko")));
        }
        Path initrd = dir.resolve("initramfs.cpio");
        Files.write(initrd, initramfs.toBytes());

        // The default chipset with the battery and COM1 in a file, plus an i8042.
        Path com1 = dir.resolve("com1.out");
        CliHarness manifest = CliHarness.run("manifest", "--battery", "95%", "--serial", "1=file=" + com1);
        assertEquals(0, manifest.exitCode(), manifest.err());
        String withI8042 = manifest.out().replaceFirst("\"devices\"\\s*:\\s*\\[", "\"devices\": [ {\"name\": \"i8042\", "
                + "\"kind\": \"chipset_device\", \"id\": \"i8042\", \"config\": {\"keyboard_input\": {\"kind\": "
                + "\"keyboard_input\", \"id\": \"keyboard\", \"config\": {\"elevation\": 0}}}},");
        Path vmJson = dir.resolve("vm.json");
        Files.writeString(vmJson, withI8042);

        Path sock = dir.resolve("vm.sock");
        Path out = dir.resolve("child.out");
        Path err = dir.resolve("child.err");
        Process p = new ProcessBuilder(JvmmProcess.command(List.of(), "run", "--manifest", vmJson.toString(),
                "--kernel", kernel, "--initrd", initrd.toString(), "--cmdline", LinuxAcpiKvmTest.CMDLINE,
                "--memory", "512M", "--cpus", "2", "--acpi", "--api-socket", sock.toString()))
                .directory(dir.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        String ctl = "(not run)";
        try {
            // wait for the guest's first reading (no sleeps in the guest's place: poll the file)
            long deadline = System.nanoTime() + LinuxGuest.bootTimeout().toNanos();
            while (!console(com1).contains(FIRST) && p.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertTrue(console(com1).contains(FIRST), "the guest did not print its first battery reading"
                    + why(com1, err, p));
            CliHarness r = CliHarness.run("ctl", "--api-socket", sock.toString(), "battery", "40%");
            ctl = "exit " + r.exitCode() + ": " + r.out().strip() + " " + r.err().strip();
            assertEquals(0, r.exitCode(), "jvmm ctl battery 40%: " + ctl);
            assertTrue(p.waitFor(LinuxGuest.bootTimeout().toMillis(), TimeUnit.MILLISECONDS), "the run did not end" + why(com1, err, p));
        } finally {
            if (p.isAlive()) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        String console = console(com1);
        List<String> facts = console.lines().filter(l -> l.startsWith("JVMM-")).toList();
        System.out.printf("Linux battery boot: exit %d, ctl %s%n  %s%n  stderr: %s%n", p.exitValue(), ctl,
                String.join("\n  ", facts), Files.readString(err).strip());
        String why = why(com1, err, p);

        assertTrue(console.contains(DONE), "/init did not get to its power-off" + why);
        String devices = fact(facts, "JVMM-FACT acpi devices:");
        for (String hid : List.of("PNP0C0A:", "ACPI0003:", "PNP0303:", "PNP0F13:", "PNP0B00:", "PNP0501:",
                "PNP0A03:")) {
            assertTrue(devices.contains(hid), hid + " not in /sys/bus/acpi/devices" + why);
        }
        assertEquals(FIRST + "95", fact(facts, FIRST), "--battery 95%" + why);
        assertEquals(THEN + "40", fact(facts, THEN), "after jvmm ctl battery 40%" + why);
        assertEquals("JVMM-FACT ac online: 1", fact(facts, "JVMM-FACT ac online:"), "N% means AC online" + why);
        long before = count(fact(facts, "JVMM-FACT gpe09 before:"));
        long after = count(fact(facts, "JVMM-FACT gpe09 after:"));
        assertTrue(after > before, "the change came as GPE 9 (" + before + " -> " + after + ")" + why);
        assertTrue(facts.stream().noneMatch(l -> l.startsWith("JVMM-DMESG")) && !console.contains("ACPI Error")
                && !console.contains("ACPI BIOS Error"), "ACPI complained" + why);
        assertTrue(facts.stream().noneMatch(l -> l.contains("insmod")), "a module did not load" + why);
        // the root bridge: Linux found PCI0 through ACPI and took bus 0's windows from its _CRS
        assertEquals("JVMM-FACT pci0 node: /sys/bus/acpi/devices/PNP0A03:00", fact(facts, "JVMM-FACT pci0 node:"),
                why);
        assertEquals("JVMM-FACT host bridge class: 0x060000", fact(facts, "JVMM-FACT host bridge class:"),
                "the i440FX at 00:00.0" + why);
        String pci = String.join("\n", facts.stream().filter(l -> l.startsWith("JVMM-PCI")).toList());
        for (String line : List.of("PCI Root Bridge [PCI0] (domain 0000 [bus 00-ff])",
                "pci_bus 0000:00: root bus resource [io  0x0000-0x0cf7 window]",
                "pci_bus 0000:00: root bus resource [io  0x0d00-0xffff window]",
                "pci_bus 0000:00: root bus resource [mem 0xc0000000-0xfebfffff window]",
                "pci_bus 0000:00: root bus resource [bus 00-ff]")) {
            assertTrue(pci.contains(line), "no '" + line + "' in Linux's log:\n" + pci + why);
        }
        assertTrue(!pci.contains("clipped"), "Linux clipped a window by an e820 reservation:\n" + pci + why);
        assertEquals(0, p.exitValue(), "a power-off ends the run with 0" + why);
    }

    /** {@code <dir>/linux-image-<abi>/lib/modules/<abi>/kernel/drivers/acpi} for {@code <dir>/vmlinuz-<abi>}. */
    static Path acpiModules(Path kernel) {
        String file = kernel.getFileName().toString();
        if (!file.startsWith("vmlinuz-")) {
            return null;
        }
        String abi = file.substring("vmlinuz-".length());
        Path acpi = kernel.toAbsolutePath().getParent().resolve("linux-image-" + abi).resolve("lib/modules")
                .resolve(abi).resolve("kernel/drivers/acpi");
        for (String m : MODULES) {
            if (!Files.isRegularFile(acpi.resolve(m + ".ko"))) {
                return null;
            }
        }
        return acpi;
    }

    private static String console(Path com1) throws Exception {
        return Files.exists(com1) ? Files.readString(com1, StandardCharsets.ISO_8859_1) : "";
    }

    private static long count(String fact) {
        // "JVMM-FACT gpe09 before:      3  EN     enabled      unmasked"
        String[] words = fact.substring(fact.indexOf(':') + 1).trim().split("\\s+");
        try {
            return Long.parseLong(words[0]);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static String why(Path com1, Path err, Process p) throws Exception {
        String console = console(com1);
        String tail = console.length() <= 4000 ? console : "..." + console.substring(console.length() - 4000);
        return "\n" + tail + "\n(" + (p.isAlive() ? "running" : "exit " + p.exitValue()) + ", stderr: "
                + (Files.exists(err) ? Files.readString(err) : "") + ")";
    }

    private static String fact(List<String> facts, String key) {
        return facts.stream().filter(l -> l.startsWith(key)).findFirst().orElse("(no line '" + key + "')");
    }
}
