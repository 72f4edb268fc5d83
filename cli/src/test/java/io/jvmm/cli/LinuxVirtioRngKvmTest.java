package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.testkit.RequiresKvm;
import io.jvmm.testkit.ScaledTimeout;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The unmodified Debian kernel drives {@code --rng}'s virtio entropy device (modern virtio-PCI,
 * 00:04.0) with its own modules: /init loads {@code virtio_ring}, {@code virtio},
 * {@code virtio_pci_modern_dev}, {@code virtio_pci_legacy_dev}, {@code virtio_pci} and
 * {@code virtio-rng} (in the order of {@code modinfo -F depends}), reports what sysfs says of the
 * PCI function (vendor 0x1af4, device 0x1044, class 0xff0000, BAR 0 inside the PCI0 window
 * 0xC0000000-0xFEBFFFFF), the virtio device (ID 4) and the hwrng core (virtio_rng.0 current), reads
 * 4096 bytes from {@code /dev/hwrng} and reports their count, checksum and number of distinct
 * values and the device's {@code /proc/interrupts} lines before and after, then powers off through
 * ACPI S5.
 *
 * <p>Twice: as booted, KVM delivers MSIs, so the function has MSI-X and Linux uses it (one vector
 * for configuration changes and one for the queue, each answer a message through KVM_SIGNAL_MSI to
 * the local APIC); with {@code pci=nomsi} Linux does not, and each answer is an INTx on GSI 16
 * through KVM's IOAPIC. Both times the driver negotiates VIRTIO_F_EVENT_IDX (bit 29 of sysfs's
 * feature string), and its queue notifications are absorbed by KVM (ioeventfd doorbells): jvmm,
 * run at log level INFO, reports how many at the end.
 *
 * <p>Needs the kernel (with its modules) and busybox ({@link LinuxGuest}), and real KVM.
 */
@RequiresKvm(unmodifiedGuest = true)
class LinuxVirtioRngKvmTest {
    static final String CMDLINE = "console=ttyS0 panic=-1 nokaslr";
    private static final List<String> MODULES = List.of(
            "virtio/virtio_ring.ko", "virtio/virtio.ko", "virtio/virtio_pci_modern_dev.ko",
            "virtio/virtio_pci_legacy_dev.ko", "virtio/virtio_pci.ko", "char/hw_random/virtio-rng.ko");

    private static final List<String> INIT = LinuxGuest.init(
            "mount -t devtmpfs dev /dev",
            "for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio-rng; do",
            "  insmod /lib/$m.ko || echo \"JVMM-FACT insmod failed: $m\"",
            "done",
            "for d in /sys/bus/pci/devices/*; do",
            "  echo \"JVMM-FACT pci ${d##*/}: $(cat $d/vendor) $(cat $d/device) $(cat $d/class)"
                    + " bar0 $(head -n 1 $d/resource) irq $(cat $d/irq)\"",
            "done",
            "for d in /sys/bus/virtio/devices/*; do",
            "  echo \"JVMM-FACT virtio ${d##*/}: device $(cat $d/device) status $(cat $d/status)\"",
            "  echo \"JVMM-FACT features ${d##*/}: $(cat $d/features)\"",
            "done",
            "echo \"JVMM-FACT rng_current: $(cat /sys/class/misc/hw_random/rng_current)\"",
            "echo \"JVMM-FACT rng_available: $(cat /sys/class/misc/hw_random/rng_available)\"",
            "echo \"JVMM-FACT msi_irqs: $(ls /sys/bus/pci/devices/0000:00:04.0/msi_irqs 2>&1 | tr '\\n' ' ')\"",
            "grep -E 'virtio' /proc/interrupts | sed 's/  */ /g; s/^/JVMM-FACT before:/'",
            "head -c 4096 /dev/hwrng > /random.bin",
            "echo \"JVMM-FACT random bytes: $(wc -c < /random.bin)\"",
            "echo \"JVMM-FACT random md5: $(md5sum < /random.bin)\"",
            "echo \"JVMM-FACT random distinct: $(od -An -v -tx1 /random.bin | tr ' ' '\\n' | grep . | sort -u | wc -l)\"",
            "grep -E 'virtio' /proc/interrupts | sed 's/  */ /g; s/^/JVMM-FACT irq:/'",
            "echo 'JVMM-USERSPACE: powering off'",
            "poweroff -f");

    @TempDir
    Path dir;

    /** Boots with the virtio-rng device and {@code cmdline}, checks what both interrupt paths share. */
    private LinuxGuest.Boot bootAndCheck(String cmdline, String label) throws Exception {
        Path kernel = LinuxGuest.bzImage();
        Map<String, Path> files = new LinkedHashMap<>();
        for (String m : MODULES) {
            files.put("lib/" + m.substring(m.lastIndexOf('/') + 1), LinuxGuest.module(kernel, "drivers/" + m));
        }
        Path initrd = LinuxGuest.initramfs(dir, INIT, files);
        LinuxGuest.Boot boot = LinuxGuest.boot(dir, kernel, initrd, cmdline, List.of("-Djvmm.log.level=info"),
                List.of("--rng"), null, s -> { });
        System.out.printf("Linux virtio-rng boot (%s): exit %d after %.1f s%n  %s%n  stderr: %s%n", label,
                boot.run().exitCode(), boot.seconds(), String.join("\n  ", boot.facts()), boot.run().err().strip());
        String why = boot.why();

        assertTrue(!boot.console().contains("JVMM-FACT insmod failed"), "a module did not load" + why);
        String pci = boot.fact("pci 0000:00:04.0:");
        Matcher m = Pattern.compile("0x1af4 0x1044 0xff0000 bar0 (0x[0-9a-f]+) (0x[0-9a-f]+) (0x[0-9a-f]+) irq (\\d+)")
                .matcher(pci);
        assertTrue(m.find(), "00:04.0 is a modern virtio entropy device: " + pci + why);
        long start = Long.decode(m.group(1));
        long end = Long.decode(m.group(2));
        assertTrue(start >= 0xC000_0000L && end <= 0xFEBF_FFFFL && end - start + 1 == 0x4000
                        && (start & 0x3FFF) == 0, "BAR 0 (16 KiB) assigned inside the PCI0 window: " + pci + why);
        assertEquals("16", m.group(4), "INTA of slot 4 is GSI 16 (the _PRT)" + why);
        String virtio = boot.fact("virtio virtio0:");
        assertTrue(virtio.contains("device 0x0004"), "virtio0 is an entropy device: " + virtio + why);
        assertTrue(virtio.contains("status 0x0000000f"),
                "ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK: " + virtio + why);
        String features = boot.fact("features virtio0:").replace("JVMM-FACT features virtio0:", "").trim();
        assertTrue(features.matches("[01]{64}"), "sysfs lists 64 feature bits: " + features + why);
        assertEquals('1', features.charAt(29), "VIRTIO_F_EVENT_IDX (bit 29) negotiated: " + features + why);
        assertEquals('1', features.charAt(32), "VIRTIO_F_VERSION_1 (bit 32) negotiated: " + features + why);
        Matcher absorbed = Pattern.compile("virtio-rng\\S*: (\\d+) doorbell writes were absorbed by the hypervisor")
                .matcher(boot.run().err());
        assertTrue(absorbed.find() && Long.parseLong(absorbed.group(1)) > 0,
                "Linux's queue notifications went through KVM's ioeventfd, not MMIO exits" + why);
        assertEquals("JVMM-FACT rng_current: virtio_rng.0", boot.fact("rng_current:"), "the hwrng core uses it" + why);
        assertEquals("JVMM-FACT random bytes: 4096", boot.fact("random bytes:"), "/dev/hwrng gave 4096 bytes" + why);
        String distinct = boot.fact("random distinct:").replace("JVMM-FACT random distinct:", "").trim();
        assertTrue(distinct.matches("\\d+") && Integer.parseInt(distinct) > 200,
                "4096 random bytes take (nearly) all 256 values, not " + distinct + why);
        assertTrue(!boot.console().matches("(?s).*virtio_pci[^\\n]*probe[^\\n]*failed.*")
                && !boot.console().contains("ACPI Error") && !boot.console().contains("ACPI BIOS Error"),
                "no probe failure nor ACPI error" + why);
        assertTrue(!boot.console().contains("irq 16: nobody cared"), "the INTx line was not left asserted" + why);
        assertTrue(boot.console().contains("reboot: Power down"), "Linux did not power down" + why);
        assertEquals(0, boot.run().exitCode(), "a power-off ends the run with 0" + why);
        return boot;
    }

    @Test
    @ScaledTimeout(150)
    void linuxReadsTheVirtioEntropyDeviceOverPciAndMsix() throws Exception {
        LinuxGuest.Boot boot = bootAndCheck(CMDLINE, "MSI-X");
        String why = boot.why();
        String msiIrqs = boot.fact("msi_irqs:");
        assertTrue(msiIrqs.matches("JVMM-FACT msi_irqs: \\d+ \\d+ ?"),
                "00:04.0 has two MSI-X interrupts in sysfs (configuration and queue): " + msiIrqs + why);
        // Linux 6.1 names the x86 MSI chip "PCI-MSI" (newer kernels "PCI-MSIX-<device>"), edge-triggered
        long configBefore = msixCount(boot, "before:", "virtio0-config", why);
        long queueBefore = msixCount(boot, "before:", "virtio0-input", why);
        long queueAfter = msixCount(boot, "irq:", "virtio0-input", why);
        assertTrue(configBefore >= 0 && msixCount(boot, "irq:", "virtio0-config", why) >= configBefore,
                "the configuration vector exists" + why);
        assertTrue(queueAfter > queueBefore,
                "reading /dev/hwrng raised the queue's MSI-X vector (" + queueBefore + " -> " + queueAfter + ")" + why);
        assertTrue(!boot.console().contains("JVMM-FACT irq: 16:"), "with MSI-X, virtio0 does not use INTx" + why);
    }

    @Test
    @ScaledTimeout(150)
    void linuxReadsTheVirtioEntropyDeviceOverPciAndIntxWithPciNomsi() throws Exception {
        LinuxGuest.Boot boot = bootAndCheck(CMDLINE + " pci=nomsi", "INTx, pci=nomsi");
        String why = boot.why();
        String irq = boot.fact("irq: 16:");
        assertTrue(irq.contains("IO-APIC") && irq.contains("fasteoi") && irq.contains("virtio0"),
                "virtio0's INTx is level-triggered on the IOAPIC's GSI 16: " + irq + why);
        Matcher counts = Pattern.compile("^JVMM-FACT irq: 16: (\\d+)").matcher(irq);
        assertTrue(counts.find() && Long.parseLong(counts.group(1)) > 0, "it interrupted: " + irq + why);
        assertTrue(!boot.console().contains("PCI-MSI"), "no MSI interrupt with pci=nomsi" + why);
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
