package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvmm.testkit.RequiresKvm;
import io.jvmm.testkit.ScaledTimeout;
import io.jvmm.testkit.TestTime;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every way Linux reboots a PC resets a direct-booted jvmm VM, so the run ends under
 * {@code --on-reset exit} with the cause of the method asked for (Linux falls back to the next
 * method when one does nothing, so the cause tells whether the method itself worked):
 *
 * <ul>
 *   <li>{@code reboot=acpi}: the FADT's reset register, dev-pm's port 0x433;
 *   <li>{@code reboot=pci}: the reset control register at 0xCF9 ({@code reset_control});
 *   <li>{@code reboot=bios}: real mode, a jump to F000:FFF0, where the reset-vector stub writes 0xCF9;
 *   <li>{@code reboot=kbd}, on the default chipset plus an i8042: command 0xFE pulses the reset line;
 *   <li>{@code reboot=triple}: {@link LinuxBootKvmTest} (both of its boots).
 * </ul>
 *
 * One boot per method (1-3 minutes each in the nested-KVM L1). Needs the kernel and busybox
 * ({@link LinuxGuest}) and real KVM.
 */
@RequiresKvm(unmodifiedGuest = true)
class LinuxPowerKvmTest {
    private static final String RESTARTING = "reboot: Restarting system";
    private static final List<String> INIT = LinuxGuest.init(
            "echo \"JVMM-FACT cmdline: $(cat /proc/cmdline)\"",
            "echo 'JVMM-USERSPACE: rebooting'",
            "reboot -f");

    @TempDir
    Path dir;

    @Test
    @ScaledTimeout(150)
    void rebootAcpiWritesTheFadtResetRegister() throws Exception {
        reboot("acpi", List.of(), "hyperv_power_management had the reset value 0x01 written to its reset register "
                + "(port 0x433)");
    }

    @Test
    @ScaledTimeout(150)
    void rebootPciWritesTheResetControlRegister() throws Exception {
        // Linux's BOOT_CF9_FORCE for a cold reboot: 0x02, then 0x0e (FULL_RST | RST_CPU | SYS_RST)
        reboot("pci", List.of(), "reset-control had 0x0e written to its reset control register (port 0xcf9, "
                + "RST_CPU with SYS_RST)");
    }

    @Test
    @ScaledTimeout(150)
    void rebootBiosReachesTheResetVectorStub() throws Exception {
        // the stub writes 0x06; Linux's own CF9 method would write 0x0e
        reboot("bios", List.of(), "reset-control had 0x06 written to its reset control register (port 0xcf9, "
                + "RST_CPU with SYS_RST)");
    }

    @Test
    @ScaledTimeout(150)
    void rebootKbdPulsesTheI8042ResetLine() throws Exception {
        reboot("kbd", List.of("--manifest", manifestWithI8042().toString()), "i8042 pulsed the reset line (command 0xfe)");
    }

    /** The default chipset's manifest (COM1 to the boot's file) with dev-i8042 added, as hyperv-gen1 has it. */
    private Path manifestWithI8042() throws Exception {
        ObjectMapper json = new ObjectMapper();
        CliHarness base = CliHarness.run("manifest", "--serial", "1=file=" + LinuxGuest.com1(dir));
        assertEquals(0, base.exitCode(), base.err());
        CliHarness gen1 = CliHarness.run("manifest", "--chipset", "hyperv-gen1");
        assertEquals(0, gen1.exitCode(), gen1.err());
        ObjectNode doc = (ObjectNode) json.readTree(base.out());
        ObjectNode i8042 = null;
        for (var d : json.readTree(gen1.out()).path("devices")) {
            if (d.path("id").asText().equals("i8042")) {
                i8042 = (ObjectNode) d;
            }
        }
        assertTrue(i8042 != null, "hyperv-gen1 has an i8042: " + gen1.out());
        ((ArrayNode) doc.path("devices")).add(i8042);
        Path manifest = dir.resolve("vm.json");
        Files.writeString(manifest, json.writerWithDefaultPrettyPrinter().writeValueAsString(doc),
                StandardCharsets.UTF_8);
        return manifest;
    }

    private void reboot(String method, List<String> args, String cause) throws Exception {
        String cmdline = "console=ttyS0 panic=-1 nokaslr reboot=" + method;
        Path initrd = LinuxGuest.initramfs(dir, INIT, LinuxGuest.noFiles());
        List<String> jvmm = new java.util.ArrayList<>(args);
        jvmm.addAll(List.of("--on-reset", "exit"));
        AtomicLong restarting = new AtomicLong();
        LinuxGuest.Boot boot = LinuxGuest.boot(dir, LinuxGuest.bzImage(), initrd, cmdline, jvmm, RESTARTING,
                console -> restarting.set(System.nanoTime()));
        long end = System.nanoTime();
        // The console is polled every 0.2 s while jvmm runs: if the process was gone before a poll saw
        // Linux's "Restarting" line, it ended within one poll interval of it.
        String afterRestart = restarting.get() == 0 ? "under 0.2 s"
                : String.format("%.2f s", (end - restarting.get()) / 1e9);
        System.out.printf("Linux reboot=%s: exit %d after %.1f s, %s after Linux said it restarts (polled every "
                + "0.2 s, and including jvmm's exit); %s%n", method, boot.run().exitCode(), boot.seconds(),
                afterRestart, boot.ending());
        String why = boot.why();
        // "resets the VM within 1 s" of Linux choosing the method, jvmm's own exit included
        assertTrue(restarting.get() == 0 || end - restarting.get() < TestTime.seconds(1).toNanos(),
                "reboot=" + method + " took " + afterRestart + " from Linux's restart to jvmm's exit" + why);

        assertTrue(boot.console().contains("JVMM-FACT cmdline: " + cmdline), "/init did not run" + why);
        assertTrue(boot.console().contains(RESTARTING), "Linux did not restart" + why);
        assertEquals(0, boot.run().exitCode(), "a reset under --on-reset exit ends the run with 0" + why);
        assertEquals("jvmm: the guest reset: " + cause, boot.ending(), "reboot=" + method + " itself reset the VM" + why);
    }
}
