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
import picocli.CommandLine.Model.CommandSpec;

/**
 * The options of {@code run} beyond the chipset's ({@link VmOptions}): machine size, payload,
 * hypervisor and the run's host side. Shared with {@code check}, which takes the same command line.
 */
final class LaunchOptions {
    static final String DEFAULT_CMDLINE = "console=ttyS0 earlyprintk=serial,ttyS0,115200 reboot=k panic=-1";

    String memory;
    String cpus;
    Path firmware;
    Path kernel;
    Path initrd;
    String cmdline;
    String onReset;
    /** null: the default (tables for an x86 --kernel, none for --firmware). */
    Boolean acpi;
    Path restore;
    boolean verifyMemory;
    String hypervisor;
    Path apiSocket;
    boolean profile;
    Path log;

    /** Adds this instance's options to {@code command}, in the order its usage lists them. */
    void addTo(CommandSpec command) {
        command.addOption(BoundOptions.value("--memory", String.class, () -> memory, v -> memory = v)
                .paramLabel("SIZE").defaultValue("256M")
                .description("Guest RAM, e.g. 256M or 2G (default: ${DEFAULT-VALUE}).").build());
        command.addOption(BoundOptions.value("--cpus", String.class, () -> cpus, v -> cpus = v)
                .paramLabel("N").defaultValue("1").description("vCPUs (default: ${DEFAULT-VALUE}).").build());
        command.addOption(BoundOptions.value("--firmware", Path.class, () -> firmware, v -> firmware = v)
                .paramLabel("FILE").description("Boot a flat firmware image (QEMU -bios style).").build());
        command.addOption(BoundOptions.value("--kernel", Path.class, () -> kernel, v -> kernel = v)
                .paramLabel("FILE").description("Boot a Linux bzImage or ELF vmlinux.").build());
        command.addOption(BoundOptions.value("--initrd", Path.class, () -> initrd, v -> initrd = v)
                .paramLabel("FILE").description("Initial ramdisk for --kernel.").build());
        command.addOption(BoundOptions.value("--cmdline", String.class, () -> cmdline, v -> cmdline = v)
                .paramLabel("STR").description("Kernel command line for --kernel (default: " + DEFAULT_CMDLINE + ").")
                .build());
        command.addOption(BoundOptions.value("--on-reset", String.class, () -> onReset, v -> onReset = v)
                .paramLabel("WHAT").defaultValue("restart")
                .description("What a guest reset does: restart or exit (default: ${DEFAULT-VALUE}).").build());
        command.addOption(BoundOptions.value("--acpi", Boolean.class, () -> acpi, v -> acpi = v).negatable(true)
                .description("ACPI tables made from the board (RSDP, FADT, MADT, DSDT): on by default for an x86 "
                        + "--kernel; given explicitly, also for a --firmware of at most 64 KiB (at 0xE0000); "
                        + "--no-acpi leaves them out.").build());
        command.addOption(BoundOptions.value("--restore", Path.class, () -> restore, v -> restore = v)
                .paramLabel("PATH")
                .description("Continue the VM saved in snapshot directory PATH ('jvmm ctl snapshot'): its board, "
                        + "memory, vCPUs and payload come from the snapshot. Device options given with it (--serial, "
                        + "--disk, ...) re-attach host backends and must describe the same devices.").build());
        command.addOption(BoundOptions.flag("--verify-memory", () -> verifyMemory, v -> verifyMemory = v)
                .description("With --restore: also check memory.bin's CRC32C, which reads the whole image before "
                        + "the guest runs (its length is always checked).").build());
        command.addOption(BoundOptions.value("--hypervisor", String.class, () -> hypervisor, v -> hypervisor = v)
                .paramLabel("NAME").description("Hypervisor backend (default: the first available).").build());
        command.addOption(BoundOptions.value("--api-socket", Path.class, () -> apiSocket, v -> apiSocket = v)
                .paramLabel("PATH").description("Serve the control socket here (see 'jvmm ctl').").build());
        command.addOption(BoundOptions.flag("--profile", () -> profile, v -> profile = v)
                .description("Print boot phase timings to stderr at exit.").build());
        command.addOption(BoundOptions.value("--log", Path.class, () -> log, v -> log = v)
                .paramLabel("FILE").description("Write logs to FILE instead of stderr.").build());
    }

    /** Tables for a Linux kernel: unless --no-acpi. */
    boolean acpiForKernel() {
        return acpi != Boolean.FALSE;
    }

    /** Tables for firmware: only when --acpi was given. */
    boolean acpiForFirmware() {
        return Boolean.TRUE.equals(acpi);
    }

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
