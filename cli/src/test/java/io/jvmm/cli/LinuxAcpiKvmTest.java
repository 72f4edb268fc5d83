package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.testkit.RequiresKvm;
import io.jvmm.testkit.ScaledTimeout;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The unmodified Debian kernel on 2 vCPUs finds jvmm's ACPI tables (on by default) and acts on them:
 * its /init (busybox) reports the tables it found, the CPUs it brought up (through the MADT), the
 * local timer interrupts of each, the interrupt controller of COM1's IRQ 4 and of the SCI (the
 * IOAPIC, through the MADT), and the PNP devices the DSDT lists. Then it loads the Debian kernel's
 * {@code evdev} and {@code button} modules and waits for the power button: the test presses it with
 * {@code jvmm ctl shutdown} (PWRBTN_STS in dev-pm's PM1 status, the SCI), Linux's ACPI button driver
 * turns that into a KEY_POWER input event, and /init, reading the button's event device, powers off
 * through ACPI S5 ({@code \_S5}, PM1a control of dev-pm), which must end the run with exit 0 and the
 * power-off cause. (Linux itself does nothing with KEY_POWER: a userspace daemon such as acpid or
 * systemd-logind acts on it, here /init.) No {@code reboot=}/{@code acpi=} options.
 *
 * <p>Needs the kernel (with its modules) and busybox ({@link LinuxGuest}), and real KVM.
 */
@RequiresKvm(unmodifiedGuest = true)
class LinuxAcpiKvmTest {
    static final String CMDLINE = "console=ttyS0 panic=-1 nokaslr";
    private static final String READY = "JVMM-READY: waiting for the power button";
    private static final String PRESSED = "JVMM-USERSPACE: the power button was pressed, powering off";

    private static final List<String> INIT = LinuxGuest.init(
            "echo \"JVMM-FACT acpi tables: $(ls /sys/firmware/acpi/tables | tr '\\n' ' ')\"",
            "echo \"JVMM-FACT cpus online: $(cat /sys/devices/system/cpu/online)\"",
            "echo \"JVMM-FACT processors: $(grep -c ^processor /proc/cpuinfo)\"",
            "echo \"JVMM-FACT local timer:$(grep LOC: /proc/interrupts | sed 's/^ *LOC://; s/  */ /g')\"",
            "grep -E '^ *(4|9):' /proc/interrupts | sed 's/  */ /g; s/^/JVMM-FACT irq:/'",
            "echo \"JVMM-FACT pnp ids: $(cat /sys/bus/pnp/devices/*/id | tr '\\n' ' ')\"",
            "mount -t devtmpfs dev /dev",
            "insmod /lib/evdev.ko",
            "insmod /lib/button.ko",
            "ev=",
            "for e in /sys/class/input/event*; do",
            "  [ \"$(cat $e/device/name)\" = 'Power Button' ] && ev=/dev/input/${e##*/}",
            "done",
            "echo \"JVMM-FACT power button: $ev\"",
            "[ -n \"$ev\" ] || { echo 'JVMM-USERSPACE: no power button input device'; poweroff -f; }",
            "echo \"" + READY + "\"",
            // the button's first event is KEY_POWER (a struct input_event is 24 bytes on x86-64)
            "dd if=$ev of=/dev/null bs=24 count=1 2>/dev/null"
                    + " || { echo \"JVMM-USERSPACE: cannot read $ev\"; poweroff -f; }",
            "echo \"" + PRESSED + "\"",
            "poweroff -f");

    @TempDir
    Path dir;

    @Test
    @ScaledTimeout(150)
    void linuxUsesTheTablesForSmpIoapicAndPowersOffOnThePowerButton() throws Exception {
        Path kernel = LinuxGuest.bzImage();
        Map<String, Path> modules = new LinkedHashMap<>();
        modules.put("lib/evdev.ko", LinuxGuest.module(kernel, "drivers/input/evdev.ko"));
        modules.put("lib/button.ko", LinuxGuest.module(kernel, "drivers/acpi/button.ko"));
        Path initrd = LinuxGuest.initramfs(dir, INIT, modules);
        Path socket = dir.resolve("vm.sock");
        AtomicReference<CliHarness> shutdown = new AtomicReference<>();
        LinuxGuest.Boot boot = LinuxGuest.boot(dir, kernel, initrd, CMDLINE,
                List.of("--cpus", "2", "--api-socket", socket.toString()), READY,
                console -> shutdown.set(CliHarness.run("ctl", "--api-socket", socket.toString(), "shutdown")));
        List<String> facts = boot.facts();
        System.out.printf("Linux ACPI boot: exit %d after %.1f s%n  %s%n  ctl shutdown: %s%n  stderr: %s%n",
                boot.run().exitCode(), boot.seconds(), String.join("\n  ", facts),
                shutdown.get() == null ? "(not run)" : shutdown.get().out().strip() + shutdown.get().err().strip(),
                boot.run().err().strip());
        String why = boot.why();

        for (String table : List.of("APIC", "DSDT", "FACP", "FACS")) {
            assertTrue(boot.fact("acpi tables:").contains(table), table + " not in /sys/firmware/acpi/tables" + why);
        }
        assertEquals("JVMM-FACT cpus online: 0-1", boot.fact("cpus online:"), "both vCPUs up" + why);
        long[] loc = Arrays.stream(boot.fact("local timer:").replace("JVMM-FACT local timer:", "").trim().split(" "))
                .limit(2).mapToLong(n -> n.matches("\\d+") ? Long.parseLong(n) : -1).toArray();
        assertTrue(loc.length == 2 && loc[0] > 0 && loc[1] > 0,
                "local APIC timer interrupts on each CPU: " + boot.fact("local timer:") + why);
        assertTrue(boot.fact("irq: 4:").contains("IO-APIC") && boot.fact("irq: 4:").contains("ttyS0"),
                "COM1's IRQ 4 goes through the IOAPIC" + why);
        assertTrue(boot.fact("irq: 9:").contains("IO-APIC") && boot.fact("irq: 9:").contains("fasteoi")
                && boot.fact("irq: 9:").contains("acpi"), "the SCI is level-triggered on the IOAPIC" + why);
        assertTrue(boot.fact("pnp ids:").contains("PNP0501"), "the DSDT's COM ports are PNP devices" + why);
        assertTrue(boot.fact("power button:").contains("/dev/input/event"),
                "the ACPI button driver made an input device for the fixed power button" + why);
        assertTrue(!boot.console().contains("ACPI Error") && !boot.console().contains("ACPI BIOS Error")
                && !boot.console().contains("ACPI Warning"), "ACPI complained" + why);

        CliHarness ctl = shutdown.get();
        assertTrue(ctl != null, "/init never got to wait for the power button" + why);
        assertEquals(0, ctl.exitCode(), "ctl shutdown: " + ctl.err());
        assertTrue(ctl.out().contains("\"power_button\" : \"pressed\"") && ctl.out().contains("\"guest_listening\" : true"),
                "the press reached a guest that enabled PWRBTN_EN: " + ctl.out());
        assertTrue(boot.console().contains(PRESSED), "/init did not see the power button" + why);
        assertTrue(boot.console().contains("reboot: Power down"), "Linux did not power down" + why);
        assertEquals(0, boot.run().exitCode(), "a power-off ends the run with 0" + why);
        assertTrue(boot.ending().startsWith("jvmm: the guest powered off: hyperv_power_management was told to enter S5"),
                "the run says why it ended: " + boot.run().err());
    }
}
