package io.jvmm.cli;

import io.jvmm.api.hv.HypervisorProvider;
import io.jvmm.runtime.loader.ConfigurationException;
import io.jvmm.runtime.loader.ImageFile;
import io.jvmm.runtime.loader.MachineConfig;
import io.jvmm.runtime.loader.PayloadException;
import io.jvmm.runtime.registry.HypervisorRegistry;
import io.jvmm.runtime.vm.GuestPayload;
import io.jvmm.runtime.vm.ResetPolicy;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.stream.Collectors;
import picocli.CommandLine.Option;

/**
 * The options of {@code run} beyond the chipset's ({@link VmOptions}): machine size, payload,
 * hypervisor and the run's host side. Shared with {@code check}, which takes the same command line.
 */
final class LaunchOptions {
    static final String DEFAULT_CMDLINE = "console=ttyS0 earlyprintk=serial,ttyS0,115200 reboot=k panic=-1";

    @Option(names = "--memory", paramLabel = "SIZE", defaultValue = "256M",
            description = "Guest RAM, e.g. 256M or 2G (default: ${DEFAULT-VALUE}).")
    String memory;

    @Option(names = "--cpus", paramLabel = "N", defaultValue = "1", description = "vCPUs (default: ${DEFAULT-VALUE}).")
    String cpus;

    @Option(names = "--firmware", paramLabel = "FILE", description = "Boot a flat firmware image (QEMU -bios style).")
    Path firmware;

    @Option(names = "--kernel", paramLabel = "FILE", description = "Boot a Linux bzImage or ELF vmlinux.")
    Path kernel;

    @Option(names = "--initrd", paramLabel = "FILE", description = "Initial ramdisk for --kernel.")
    Path initrd;

    @Option(names = "--cmdline", paramLabel = "STR", description = "Kernel command line for --kernel "
            + "(default: console=ttyS0 earlyprintk=serial,ttyS0,115200 reboot=k panic=-1).")
    String cmdline;

    @Option(names = "--on-reset", paramLabel = "WHAT", defaultValue = "restart",
            description = "What a guest reset does: restart or exit (default: ${DEFAULT-VALUE}).")
    String onReset;

    /** null: the default (tables for an x86 --kernel, none for --firmware). */
    @Option(names = "--acpi", negatable = true,
            description = "ACPI tables made from the board (RSDP, FADT, MADT, DSDT): on by default for an x86 "
                    + "--kernel; given explicitly, also for a --firmware of at most 64 KiB (at 0xE0000); "
                    + "--no-acpi leaves them out.")
    Boolean acpi;

    /** Tables for a Linux kernel: unless --no-acpi. */
    boolean acpiForKernel() {
        return acpi != Boolean.FALSE;
    }

    /** Tables for firmware: only when --acpi was given. */
    boolean acpiForFirmware() {
        return Boolean.TRUE.equals(acpi);
    }

    @Option(names = "--restore", paramLabel = "PATH",
            description = "Continue the VM saved in snapshot directory PATH ('jvmm ctl snapshot'): its board, "
                    + "memory, vCPUs and payload come from the snapshot. Device options given with it (--serial, "
                    + "--disk, ...) re-attach host backends and must describe the same devices.")
    Path restore;

    @Option(names = "--verify-memory", description = "With --restore: also check memory.bin's CRC32C, which "
            + "reads the whole image before the guest runs (its length is always checked).")
    boolean verifyMemory;

    @Option(names = "--hypervisor", paramLabel = "NAME", description = "Hypervisor backend (default: the first available).")
    String hypervisor;

    @Option(names = "--api-socket", paramLabel = "PATH", description = "Serve the control socket here (see 'jvmm ctl').")
    Path apiSocket;

    @Option(names = "--profile", description = "Print boot phase timings to stderr at exit.")
    boolean profile;

    @Option(names = "--log", paramLabel = "FILE", description = "Write logs to FILE instead of stderr.")
    Path log;

    ResetPolicy resetPolicy() {
        return switch (onReset.toLowerCase(Locale.ROOT)) {
            case "restart" -> ResetPolicy.RESTART;
            case "exit" -> ResetPolicy.EXIT;
            default -> throw UserError.config("--on-reset: expected restart or exit, not '" + onReset + "'");
        };
    }

    /** --memory and --cpus, checked against {@code hostMaxVcpus}. */
    MachineConfig machine(int hostMaxVcpus) {
        try {
            return MachineConfig.parse(memory, cpus, hostMaxVcpus);
        } catch (ConfigurationException e) {
            throw UserError.config(e.getMessage());
        }
    }

    /** The payload's files read (not yet checked as images: the loaders do that). */
    GuestPayload payload() {
        if (firmware != null && kernel != null) {
            throw UserError.config("--firmware and --kernel cannot be combined; boot one or the other");
        }
        if (kernel == null && (initrd != null || cmdline != null)) {
            throw UserError.config((initrd != null ? "--initrd" : "--cmdline") + " needs --kernel");
        }
        try {
            if (firmware != null) {
                return new GuestPayload.Firmware(firmware.toString(),
                        ImageFile.read(firmware, "firmware").bytes());
            }
            if (kernel != null) {
                byte[] rd = initrd == null ? null : ImageFile.read(initrd, "initrd").bytes();
                return new GuestPayload.Linux(kernel.toString(), ImageFile.read(kernel, "kernel").bytes(),
                        rd, cmdline == null ? DEFAULT_CMDLINE : cmdline);
            }
        } catch (PayloadException e) {
            throw UserError.config(e.getMessage());
        }
        try (InputStream in = Main.class.getResourceAsStream("demo.bin")) {
            return new GuestPayload.Firmware("embedded demo guest", in.readAllBytes());
        } catch (IOException | NullPointerException e) {
            throw UserError.vm("the embedded demo guest is missing from the jvmm-cli jar: " + e);
        }
    }

    /**
     * The backend the board is built for, found without probing the host: the one --hypervisor
     * names, or the first installed. Which devices it supplies itself (KVM's PIC, IOAPIC and PIT)
     * is known without opening it, so the board can be built and checked before the hypervisor is.
     */
    HypervisorProvider candidate(HypervisorRegistry hvs) {
        if (hypervisor != null) {
            return hvs.providers().stream().filter(p -> p.name().equals(hypervisor)).findFirst()
                    .orElseThrow(() -> UserError.config("--hypervisor: unknown hypervisor '" + hypervisor + "' (installed: "
                            + hvs.providers().stream().map(HypervisorProvider::name).collect(Collectors.joining(", ")) + ")"));
        }
        if (hvs.providers().isEmpty()) {
            throw UserError.vm("no hypervisor backend is installed; put jvmm-hv-kvm on the module path");
        }
        return hvs.providers().get(0);
    }

    /** The backend to run on: probes the host (opens /dev/kvm), so only once the configuration is known good. */
    HypervisorProvider select(HypervisorRegistry hvs) {
        try {
            return hvs.select(hypervisor);
        } catch (IllegalStateException e) {
            throw UserError.vm(e.getMessage());
        }
    }

    /** The message for a guest architecture the backend cannot run. */
    static String unsupportedArch(HypervisorProvider hv, io.jvmm.api.hv.MachineArch arch) {
        return "the " + hv.name() + " backend here runs " + hv.architectures().stream()
                .map(a -> a.label()).sorted().collect(Collectors.joining(", ")) + " guests, not "
                + arch.label() + "; use --arch " + hv.architectures().iterator().next().label()
                + " (or a manifest for it)";
    }
}
