package io.jvmm.cli;

import io.jvmm.api.hv.HypervisorProvider;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.runtime.loader.ConfigurationException;
import io.jvmm.runtime.loader.ImageFile;
import io.jvmm.runtime.loader.MachineConfig;
import io.jvmm.runtime.loader.PayloadException;
import io.jvmm.runtime.manifest.ManifestJson;
import io.jvmm.runtime.manifest.MissingResource;
import io.jvmm.runtime.manifest.VmManifest;
import io.jvmm.runtime.registry.HypervisorRegistry;
import io.jvmm.runtime.registry.PluginLayer;
import io.jvmm.runtime.registry.ProviderFailure;
import io.jvmm.runtime.registry.ResolverRegistry;
import io.jvmm.runtime.vm.GuestPayload;
import io.jvmm.runtime.vm.LaunchedVm;
import io.jvmm.runtime.vm.ResetPolicy;
import io.jvmm.runtime.vm.VmLauncher;
import io.jvmm.runtime.vm.VmOutcome;
import io.jvmm.runtime.vm.VmSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code jvmm run}: builds and runs a VM. */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Boot a VM. With no options: the embedded demo guest on the default chipset "
                + "(unenlightened-linux-direct, x86_64, 256 MiB, 1 vCPU, COM1 on the terminal).",
            "On a terminal the console is raw; Ctrl-A x quits, Ctrl-A h lists the keys."})
final class RunCommand implements Callable<Integer> {
    @Mixin
    VmOptions vm;

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

    @Option(names = "--acpi", description = "Give an x86 --kernel ACPI tables made from the board "
            + "(MADT, FADT, DSDT; experimental).")
    boolean acpi;

    @Option(names = "--hypervisor", paramLabel = "NAME", description = "Hypervisor backend (default: the first available).")
    String hypervisor;

    @Option(names = "--api-socket", paramLabel = "PATH", description = "Serve the control socket here (see 'jvmm ctl').")
    Path apiSocket;

    @Option(names = "--profile", description = "Print boot phase timings to stderr at exit.")
    boolean profile;

    @Option(names = "--log", paramLabel = "FILE", description = "Write logs to FILE instead of stderr.")
    Path log;

    @Mixin
    PluginOptions plugins;

    @Spec
    CommandSpec spec;

    static final String DEFAULT_CMDLINE = "console=ttyS0 earlyprintk=serial,ttyS0,115200 reboot=k panic=-1";

    @Override
    public Integer call() {
        Profile timings = new Profile();
        Logging.configure(log);
        PrintWriter err = spec.commandLine().getErr();

        PluginLayer layer = plugins.load();
        for (ProviderFailure f : layer.failures()) {
            err.println("jvmm: warning: plugin " + f.provider() + " not loaded: " + f.reason());
        }
        ResolverRegistry registry = ManifestCommand.registry(layer);
        for (ProviderFailure f : registry.shadowed()) {
            err.println("jvmm: warning: " + f.provider() + " " + f.reason());
        }
        if (!registry.broken().isEmpty()) {
            // which resource it meant to provide is unknown, so the manifest cannot be checked against it
            throw UserError.config("a plugin's resolver is broken: " + registry.broken().stream()
                    .map(f -> f.provider() + ": " + f.reason()).collect(Collectors.joining("; also ")));
        }
        VmManifest manifest = vm.manifest(registry, ManifestCommand.given(spec, "--chipset"),
                ManifestCommand.given(spec, "--arch"));
        List<MissingResource> missing = ManifestJson.missingResources(manifest, registry);
        List<String> duplicated = missing.stream().map(m -> registry.duplicateMessage(m.kind(), m.id())
                .map(d -> m.device() + " needs " + m.key() + ", which is " + d)).flatMap(java.util.Optional::stream).distinct().toList();
        if (!duplicated.isEmpty()) {
            throw UserError.config(String.join("; ", duplicated));
        }
        if (!missing.isEmpty()) {
            throw UserError.config("the manifest needs resources that no loaded module provides: "
                    + missing.stream().map(m -> m.device() + " needs " + m.kind() + ":" + m.id())
                            .collect(Collectors.joining("; "))
                    + "; add the plugins that provide them (--plugin-path) or remove the devices");
        }
        timings.mark("manifest built");

        ResetPolicy policy = switch (onReset.toLowerCase(Locale.ROOT)) {
            case "restart" -> ResetPolicy.RESTART;
            case "exit" -> ResetPolicy.EXIT;
            default -> throw UserError.config("--on-reset: expected restart or exit, not '" + onReset + "'");
        };
        if (apiSocket != null) {
            ControlServer.checkDirectory(apiSocket);
        }
        try {
            // the values' syntax first, so a typo is reported even where no hypervisor is available
            MachineConfig.parse(memory, cpus, Integer.MAX_VALUE);
        } catch (ConfigurationException e) {
            throw UserError.config(e.getMessage());
        }
        GuestPayload payload = payload();
        HypervisorProvider hv = hypervisor(layer);
        if (!hv.architectures().contains(manifest.arch())) {
            throw UserError.config("the " + hv.name() + " backend here runs " + hv.architectures().stream()
                    .map(a -> a.label()).sorted().collect(Collectors.joining(", ")) + " guests, not "
                    + manifest.arch().label() + "; use --arch " + hv.architectures().iterator().next().label()
                    + " (or a manifest for it)");
        }
        MachineConfig machine;
        try {
            int hostMax = hv.maxVcpus();
            if (hostMax < 1) {
                throw UserError.vm("hypervisor " + hv.name() + " reports no usable vCPUs: " + hv.availability().reason());
            }
            machine = MachineConfig.parse(memory, cpus, hostMax);
        } catch (ConfigurationException e) {
            throw UserError.config(e.getMessage());
        }

        Console console = Console.attach(manifest, spec.commandLine().getErr());
        try {
            LaunchedVm launched;
            try {
                launched = new VmLauncher(layer.layer()).profile(profile ? timings::firstExit : null).acpiTables(acpi)
                        .launch(new VmSpec(manifest, machine.memoryBytes(), machine.vcpuCount(), payload, policy), hv);
            } catch (VmLauncher.LaunchException e) {
                throw e.isConfiguration() ? UserError.config(e.getMessage()) : UserError.vm(e.getMessage());
            }
            timings.mark("devices resolved, payload loaded");
            try (LaunchedVm vmHandle = launched;
                    ControlServer control = apiSocket == null ? null
                            : ControlServer.start(apiSocket, new LaunchedVmControl(launched))) {
                console.onQuit(() -> launched.machine().shutdown("Ctrl-A x was pressed on the console"));
                VmOutcome outcome = launched.run();
                timings.mark("guest ended");
                console.restore();
                if (profile) {
                    timings.print(err);
                }
                // Exactly one line on every ending, on stderr even with --log: it is the run's
                // result (like the exit code), not a log message.
                err.println("jvmm: " + outcome.summary());
                err.flush();
                return outcome.exitCode();
            }
        } finally {
            console.restore();
        }
    }

    private GuestPayload payload() {
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

    private HypervisorProvider hypervisor(PluginLayer layer) {
        HypervisorRegistry hvs = HypervisorRegistry.load(layer.layer(), List.of());
        if (hypervisor != null && hvs.providers().stream().noneMatch(p -> p.name().equals(hypervisor))) {
            throw UserError.config("--hypervisor: unknown hypervisor '" + hypervisor + "' (installed: "
                    + hvs.providers().stream().map(HypervisorProvider::name).collect(Collectors.joining(", ")) + ")");
        }
        try {
            return hvs.select(hypervisor);
        } catch (IllegalStateException e) {
            throw UserError.vm(e.getMessage());
        }
    }

    /** Boot phase timings, relative to JVM start. */
    static final class Profile {
        private final StringBuilder lines = new StringBuilder();
        private final long mainNanos = System.nanoTime();
        private final long mainMillis = System.currentTimeMillis();
        private final long jvmStartMillis = mainMillis - processAgeMillis();
        private volatile long firstExitNanos;

        Profile() {
            lines.append(String.format("  %-36s %8.1f ms%n", "process start → jvmm main", (double) (mainMillis - jvmStartMillis)));
        }

        /**
         * How long this process has been running. ProcessHandle's start instant adds the boot time,
         * which Linux gives in whole seconds, so it can be off by up to a second; the process's
         * start in clock ticks since boot against /proc/uptime is good to about 10 ms.
         */
        private static long processAgeMillis() {
            try {
                String stat = java.nio.file.Files.readString(Path.of("/proc/self/stat"));
                // Fields after the parenthesised command name; starttime is field 22 (index 19 here).
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                long startTicks = Long.parseLong(f[19]);
                String uptime = java.nio.file.Files.readString(Path.of("/proc/uptime"));
                double upSeconds = Double.parseDouble(uptime.substring(0, uptime.indexOf(' ')));
                return Math.max(0, Math.round(upSeconds * 1000 - startTicks * 10)); // USER_HZ is 100 on Linux
            } catch (IOException | RuntimeException e) {
                return ProcessHandle.current().info().startInstant()
                        .map(i -> System.currentTimeMillis() - i.toEpochMilli()).orElse(0L);
            }
        }

        void mark(String phase) {
            add(phase, System.nanoTime());
        }

        void firstExit() {
            if (firstExitNanos == 0) {
                firstExitNanos = System.nanoTime();
                add("first guest exit", firstExitNanos);
            }
        }

        private synchronized void add(String phase, long nanos) {
            double ms = (mainMillis - jvmStartMillis) + (nanos - mainNanos) / 1e6;
            lines.append(String.format("  %-36s %8.1f ms%n", phase, ms));
        }

        synchronized void print(PrintWriter err) {
            err.print("jvmm boot profile (since JVM start):\n" + lines);
            err.flush();
        }
    }

    static boolean usesStdio(VmManifest manifest) {
        return ManifestJson.resources(manifest).stream()
                .anyMatch(r -> r.kind().equals(ResourceKinds.SERIAL_BACKEND) && r.id().equals("stdio"));
    }
}
