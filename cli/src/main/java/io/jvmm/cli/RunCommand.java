package io.jvmm.cli;

import io.jvmm.api.hv.HypervisorProvider;
import io.jvmm.api.hv.MachineArch;
import io.jvmm.api.resource.Resource;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.runtime.loader.MachineConfig;
import io.jvmm.runtime.manifest.ManifestException;
import io.jvmm.runtime.manifest.ManifestJson;
import io.jvmm.runtime.snapshot.Snapshot;
import io.jvmm.runtime.snapshot.SnapshotException;
import org.slf4j.LoggerFactory;
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
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import picocli.CommandLine.Model.CommandSpec;

/** {@code jvmm run}: builds and runs a VM. */
final class RunCommand implements Callable<Integer> {
    /** How long a signal's shutdown waits for the VM to stop and report before the JVM exits anyway. */
    private static final Duration SIGNAL_GRACE = Duration.ofSeconds(5);
    final VmOptions vm = new VmOptions();

    final LaunchOptions launch = new LaunchOptions();

    final PluginOptions plugins = new PluginOptions();

    /** This command's model: its description, its options bound to this instance's fields. */
    final CommandSpec spec;

    /** The boot layer's providers, possibly being loaded already (see {@link Main#main}). */
    private final BootLayerProviders bootLayer;

    RunCommand() {
        this(BootLayerProviders.onDemand());
    }

    RunCommand(BootLayerProviders bootLayer) {
        this.bootLayer = bootLayer;
        spec = BoundOptions.command(this, "run",
                "Boot a VM. With no options: the embedded demo guest on the default chipset "
                + "(unenlightened-linux-direct, x86_64, 256 MiB, 1 vCPU, COM1 on the terminal).",
            "On a terminal the console is raw; Ctrl-A x quits, Ctrl-A h lists the keys.");
        vm.addTo(spec);
        launch.addTo(spec);
        plugins.addTo(spec);
        BoundOptions.addStandardHelpOptions(spec);
    }

    /**
     * The order matters: everything that is configuration (options, plugins, manifest, the board
     * with its devices and regions, the payload) is checked before the hypervisor is probed or a
     * partition created, so a configuration error never touches /dev/kvm. {@code jvmm check} runs
     * the same first part and stops there.
     */
    @Override
    public Integer call() {
        Profile timings = new Profile();
        Logging.configure(launch.log);
        PrintWriter err = spec.commandLine().getErr();

        // A snapshot is read and checked (format, version, checksums, state framing) before anything else.
        if (launch.restore == null && launch.verifyMemory) {
            throw UserError.config("--verify-memory checks a snapshot's memory image: give it with --restore PATH");
        }
        Snapshot snapshot = launch.restore == null ? null : readSnapshot();
        PluginLayer layer = plugins.load();
        ResolverRegistry providers = bootLayer.resolvers(layer);
        ResolverRegistry registry = registry(layer, providers, err);
        if (!registry.broken().isEmpty()) {
            throw UserError.config(brokenMessage(registry));
        }
        timings.mark("plugins and resolvers loaded");
        VmManifest manifest = snapshot == null ? cliManifest(registry) : restoredManifest(snapshot, registry);
        missingMessage(manifest, registry).ifPresent(m -> {
            throw UserError.config(m);
        });
        timings.mark(snapshot == null ? "manifest built" : "snapshot read, manifest built");

        ResetPolicy policy = snapshot != null && !ManifestCommand.given(spec, "--on-reset")
                ? ResetPolicy.valueOf(snapshot.info().resetPolicy().toUpperCase(java.util.Locale.ROOT))
                : launch.resetPolicy();
        if (launch.apiSocket != null) {
            ControlServer.checkPath(launch.apiSocket);
        }
        // the values' syntax; the vCPU limit is the hypervisor's, asked once the rest is known good
        MachineConfig size = snapshot == null ? launch.machine(Integer.MAX_VALUE) : restoredSize(snapshot);
        GuestPayload payload = snapshot == null ? launch.payload() : snapshot.payload();
        HypervisorRegistry hvs = bootLayer.hypervisors(layer);
        HypervisorProvider candidate = launch.candidate(hvs);
        // what the backend runs is declared, not probed: a wrong --arch is caught before the board
        if (!candidate.architectures().contains(manifest.arch())) {
            throw UserError.config(LaunchOptions.unsupportedArch(candidate, manifest.arch()));
        }
        VmSpec vmSpec = new VmSpec(manifest, size.memoryBytes(), size.vcpuCount(), payload, policy);

        Console console = Console.attach(manifest, spec.commandLine().getErr());
        try {
            VmLauncher launcher = new VmLauncher(layer.layer()).providers(providers)
                    .profile(launch.profile ? timings::firstExit : null);
            if (snapshot == null) {
                launcher.acpiTables(launch.acpiForKernel()).acpiTablesForFirmware(launch.acpiForFirmware());
            } else {
                // the tables the payload had, so that a reset after the restore loads the same ones
                boolean acpi = snapshot.info().payload().acpi();
                launcher.acpiTables(acpi).acpiTablesForFirmware(acpi);
            }
            VmLauncher.PreparedVm prepared = prepare(launcher, vmSpec, candidate);
            timings.mark("devices resolved, payload checked");
            LaunchedVm launched;
            try {
                HypervisorProvider hv;
                try {
                    hv = hypervisor(hvs, manifest, snapshot == null);
                } catch (RuntimeException e) {
                    prepared.close();
                    throw e;
                }
                timings.mark("hypervisor opened");
                if (!hv.suppliedDevices(manifest.arch()).equals(candidate.suppliedDevices(manifest.arch()))
                        || hv.deliversMessageInterrupts(manifest.arch()) != candidate.deliversMessageInterrupts(manifest.arch())) {
                    // the first installed backend was not available and this one supplies other devices
                    // (or not the same interrupt delivery, which decides whether PCI devices offer MSI-X)
                    prepared.close();
                    prepared = prepare(launcher, vmSpec, hv);
                }
                launched = snapshot == null ? launcher.launch(prepared, hv) : launcher.restore(prepared, hv, snapshot);
            } catch (VmLauncher.LaunchException e) {
                throw new UserError(e.messages(), e.isConfiguration() ? Main.USAGE : Main.VM_ERROR);
            }
            timings.mark(snapshot == null ? "partition created, payload loaded" : "partition created, state restored");
            if (snapshot != null) {
                LoggerFactory.getLogger(RunCommand.class).info("restored snapshot {} (taken {} by jvmm {})",
                        snapshot.dir(), snapshot.info().created(), snapshot.info().jvmmVersion());
            }
            try (LaunchedVm vmHandle = launched;
                    ControlServer control = launch.apiSocket == null ? null
                            : ControlServer.start(launch.apiSocket, new LaunchedVmControl(launched))) {
                console.onQuit(() -> launched.machine().shutdown("Ctrl-A x was pressed on the console"));
                // A signal (SIGTERM from a service manager or `timeout`, SIGINT, SIGHUP) makes the JVM
                // exit while the guest runs: stop the VM the way `ctl shutdown --force` does, so the
                // backends are closed (files flushed) and the run says why it ended, like any other.
                CountDownLatch reported = new CountDownLatch(1);
                Thread onSignal = new Thread(() -> {
                    launched.machine().shutdown("jvmm was sent a termination signal (SIGTERM, SIGINT or SIGHUP)");
                    try {
                        reported.await(SIGNAL_GRACE.toMillis(), TimeUnit.MILLISECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }, "jvmm-signal");
                Runtime.getRuntime().addShutdownHook(onSignal);
                try {
                    VmOutcome outcome = launched.run();
                    timings.mark("guest ended");
                    console.restore();
                    if (launch.profile) {
                        timings.print(err);
                    }
                    // Exactly one line on every ending, on stderr even with --log: it is the run's
                    // result (like the exit code), not a log message.
                    err.println("jvmm: " + outcome.summary());
                    err.flush();
                    return outcome.exitCode();
                } finally {
                    reported.countDown();
                    try {
                        Runtime.getRuntime().removeShutdownHook(onSignal);
                    } catch (IllegalStateException shuttingDown) {
                        // the hook is running: it has what it waited for
                    }
                }
            }
        } finally {
            console.restore();
        }
    }

    /** Stage one for {@code hv}'s set of supplied devices; every problem of the board and payload together. */
    private static VmLauncher.PreparedVm prepare(VmLauncher launcher, VmSpec vmSpec, HypervisorProvider hv) {
        try {
            MachineArch arch = vmSpec.manifest().arch();
            return launcher.prepare(vmSpec, hv.suppliedDevices(arch), hv.deliversMessageInterrupts(arch));
        } catch (VmLauncher.LaunchException e) {
            throw new UserError(e.messages(), e.isConfiguration() ? Main.USAGE : Main.VM_ERROR);
        }
    }

    /**
     * The backend, probed now: available, running this architecture, with enough vCPUs ({@code
     * checkSize}: the --cpus given; a restore's vCPU count is checked by the launcher).
     */
    private HypervisorProvider hypervisor(HypervisorRegistry hvs, VmManifest manifest, boolean checkSize) {
        HypervisorProvider hv = launch.select(hvs);
        if (!hv.architectures().contains(manifest.arch())) {
            throw UserError.config(LaunchOptions.unsupportedArch(hv, manifest.arch()));
        }
        int hostMax = hv.maxVcpus();
        if (hostMax < 1) {
            throw UserError.vm("hypervisor " + hv.name() + " reports no usable vCPUs: " + hv.availability().reason());
        }
        if (checkSize) {
            launch.machine(hostMax);
        }
        return hv;
    }

    private VmManifest cliManifest(ResolverRegistry registry) {
        return vm.manifest(registry, ManifestCommand.given(spec, "--chipset"), ManifestCommand.given(spec, "--arch"));
    }

    /** Options that describe a payload or its tables: a restore has its own. */
    private static final List<String> PAYLOAD_OPTIONS = List.of("--firmware", "--kernel", "--initrd", "--cmdline",
            "--acpi", "--no-acpi");

    private Snapshot readSnapshot() {
        List<String> payloadGiven = PAYLOAD_OPTIONS.stream().filter(o -> ManifestCommand.given(spec, o)).toList();
        if (!payloadGiven.isEmpty()) {
            throw UserError.config("--restore continues the snapshot's own payload; drop " + String.join(", ", payloadGiven));
        }
        try {
            return Snapshot.read(launch.restore, launch.verifyMemory);
        } catch (SnapshotException e) {
            throw e.isConfiguration() ? UserError.config(e.getMessage()) : UserError.vm(e.getMessage());
        }
    }

    /**
     * The board of a restore: the snapshot's manifest, or, when the command line describes a board
     * (device options to re-attach host backends), that one, if it has the same devices.
     */
    private VmManifest restoredManifest(Snapshot snapshot, ResolverRegistry registry) {
        VmManifest saved;
        try {
            saved = new ManifestJson().read(snapshot.info().manifest(), registry);
        } catch (ManifestException e) {
            throw UserError.config("snapshot " + snapshot.dir() + ": its manifest cannot be read here: " + e.getMessage());
        }
        if (!vm.boardGiven(ManifestCommand.given(spec, "--chipset"), ManifestCommand.given(spec, "--arch"))) {
            return saved;
        }
        VmManifest given = cliManifest(registry);
        List<String> differences = SnapshotBoards.differences(saved, given);
        if (!differences.isEmpty()) {
            throw UserError.config(List.of("the command line's devices differ from snapshot " + snapshot.dir()
                    + "'s; give options for the same devices (they only re-attach host backends), or none: "
                    + String.join("; ", differences)));
        }
        return given;
    }

    /** The snapshot's memory and vCPUs; --memory and --cpus, if given, must say the same. */
    private MachineConfig restoredSize(Snapshot snapshot) {
        long memory = snapshot.info().memoryBytes();
        int cpus = snapshot.info().vcpus();
        List<String> problems = new java.util.ArrayList<>();
        if (ManifestCommand.given(spec, "--memory") && launch.machine(Integer.MAX_VALUE).memoryBytes() != memory) {
            problems.add("--memory " + launch.memory + " differs from the snapshot's " + memory + " bytes ("
                    + (memory >> 20) + "M); a restored VM keeps its memory size: drop --memory");
        }
        if (ManifestCommand.given(spec, "--cpus") && launch.machine(Integer.MAX_VALUE).vcpuCount() != cpus) {
            problems.add("--cpus " + launch.cpus + " differs from the snapshot's " + cpus
                    + " vCPUs; a restored VM keeps its vCPUs: drop --cpus");
        }
        if (!problems.isEmpty()) {
            throw UserError.config(problems);
        }
        try {
            return MachineConfig.of(memory, cpus, Integer.MAX_VALUE);
        } catch (io.jvmm.runtime.loader.ConfigurationException e) {
            throw UserError.config("snapshot " + snapshot.dir() + ": " + e.getMessage());
        }
    }

    /** The resolvers for the manifest, with the plugin layer's warnings printed. */
    static ResolverRegistry registry(PluginLayer layer, PrintWriter err) {
        return registry(layer, ManifestCommand.providers(layer), err);
    }

    /** The same, from providers already loaded from {@code layer}. */
    static ResolverRegistry registry(PluginLayer layer, ResolverRegistry providers, PrintWriter err) {
        for (ProviderFailure f : layer.failures()) {
            err.println("jvmm: warning: plugin " + f.provider() + " not loaded: " + f.reason());
        }
        ResolverRegistry registry = ManifestCommand.registry(providers);
        for (ProviderFailure f : registry.shadowed()) {
            err.println("jvmm: warning: " + f.provider() + " " + f.reason());
        }
        return registry;
    }

    /** Which resource a broken resolver meant to provide is unknown, so the manifest cannot be checked against it. */
    static String brokenMessage(ResolverRegistry registry) {
        return "a plugin's resolver is broken: " + registry.broken().stream()
                .map(f -> f.provider() + ": " + f.reason()).collect(Collectors.joining("; also "));
    }

    /** The manifest's resources that no loaded module provides (or two provide), as one message. */
    static Optional<String> missingMessage(VmManifest manifest, ResolverRegistry registry) {
        List<MissingResource> missing = ManifestJson.missingResources(manifest, registry);
        List<String> duplicated = missing.stream().map(m -> registry.duplicateMessage(m.kind(), m.id())
                .map(d -> m.device() + " needs " + m.key() + ", which is " + d)).flatMap(Optional::stream).distinct().toList();
        if (!duplicated.isEmpty()) {
            return Optional.of(String.join("; ", duplicated));
        }
        if (!missing.isEmpty()) {
            return Optional.of("the manifest needs resources that no loaded module provides: "
                    + missing.stream().map(m -> m.device() + " needs " + m.kind() + ":" + m.id())
                            .collect(Collectors.joining("; "))
                    + "; add the plugins that provide them (--plugin-path) or remove the devices");
        }
        return Optional.empty();
    }

    /** Boot phase timings, relative to JVM start. */
    static final class Profile {
        /** A phase and when it ended (System.nanoTime). */
        private record Mark(String phase, long nanos) {}

        private final List<Mark> marks = new ArrayList<>();
        private boolean firstExitSeen;

        /** Records the phases only; nothing is read or formatted unless {@link #print} is called. */
        Profile() {
            mark("command line parsed");
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

        synchronized void mark(String phase) {
            marks.add(new Mark(phase, System.nanoTime()));
        }

        synchronized void firstExit() {
            if (!firstExitSeen) {
                firstExitSeen = true;
                marks.add(new Mark("first guest exit", System.nanoTime()));
            }
        }

        synchronized void print(PrintWriter err) {
            long nowNanos = System.nanoTime();
            // main's distance from process start: the process's age now minus the time since main
            double mainMs = processAgeMillis() - (nowNanos - Main.STARTED_NANOS) / 1e6;
            StringBuilder lines = new StringBuilder("jvmm boot profile (since JVM start):\n");
            line(lines, "process start → jvmm main", mainMs);
            for (Mark m : marks) {
                line(lines, m.phase(), mainMs + (m.nanos() - Main.STARTED_NANOS) / 1e6);
            }
            err.print(lines);
            err.flush();
        }

        /**
         * {@code "  %-36s %8.1f ms%n"} without java.util.Formatter, whose first use (its format-string
         * parser) would add several milliseconds to the process exit that the start-up bench times.
         */
        static void line(StringBuilder out, String phase, double ms) {
            out.append("  ").append(phase);
            for (int i = phase.length(); i < 36; i++) {
                out.append(' ');
            }
            long tenths = Math.round(ms * 10);
            String value = (tenths < 0 ? "-" : "") + Math.abs(tenths) / 10 + "." + Math.abs(tenths) % 10;
            out.append(' ');
            for (int i = value.length(); i < 8; i++) {
                out.append(' ');
            }
            out.append(value).append(" ms").append(System.lineSeparator());
        }
    }

    static boolean usesStdio(VmManifest manifest) {
        // A loop comparing kind names, not a stream comparing the ResourceKind records: this runs
        // on every start, and the stream's lambda and the record's equals are each linked at their
        // first use (about 9% of the start-up samples of a firmware run, JFR).
        for (Resource<?> r : ManifestJson.resources(manifest)) {
            if (r.kind().name().equals(ResourceKinds.SERIAL_BACKEND.name()) && r.id().equals("stdio")) {
                return true;
            }
        }
        return false;
    }
}
