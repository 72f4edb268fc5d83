package io.jvmm.cli;

import io.jvmm.api.hv.Availability;
import io.jvmm.api.hv.HypervisorProvider;
import io.jvmm.runtime.acpi.AcpiTables;
import io.jvmm.runtime.board.Chipset;
import io.jvmm.runtime.loader.ConfigurationException;
import io.jvmm.runtime.loader.MachineConfig;
import io.jvmm.runtime.loader.MemorySize;
import io.jvmm.runtime.manifest.ManifestJson;
import io.jvmm.runtime.manifest.MissingResource;
import io.jvmm.runtime.manifest.VmManifest;
import io.jvmm.runtime.registry.HypervisorRegistry;
import io.jvmm.runtime.registry.PluginLayer;
import io.jvmm.runtime.registry.ResolverRegistry;
import io.jvmm.runtime.vm.GuestPayload;
import io.jvmm.runtime.vm.VmLauncher;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code jvmm check}: everything {@code run} checks before it opens the hypervisor, with the same
 * command line, and nothing started: the manifest is built, every device resolved on a real board
 * and its regions claimed, the payload run through its loader against the memory size. Host
 * backends are stand-ins that check their configuration and open nothing (no port is bound, no
 * file created, stdin not read). Every problem is reported, not just the first.
 */
final class CheckCommand implements Callable<Integer> {
    /** The memory the board is built with when --memory itself is wrong (the CMOS RTC reports a size). */
    private static final long FALLBACK_MEMORY = 256 * MemorySize.MIB;

    final VmOptions vm = new VmOptions();

    final LaunchOptions launch = new LaunchOptions();

    final PluginOptions plugins = new PluginOptions();

    /** This command's model: its description, its options bound to this instance's fields. */
    final CommandSpec spec;

    CheckCommand() {
        spec = BoundOptions.command(this, "check",
                "Check a VM's configuration without starting it: takes run's options, builds the "
                + "manifest, resolves every device on a board (region conflicts, missing resources, device "
                + "configuration), checks the payload and that it fits in --memory, and reports every problem "
                + "at once. Needs no /dev/kvm; opens no port, socket or file.",
            "Exit code 0 with a summary when 'jvmm run' with these options would start the VM, 2 otherwise.");
        vm.addTo(spec);
        launch.addTo(spec);
        plugins.addTo(spec);
        BoundOptions.addStandardHelpOptions(spec);
    }

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        List<String> problems = new ArrayList<>();
        if (launch.restore != null || launch.verifyMemory) {
            // a snapshot's checks need the backend and the built board; run does all of them before the guest runs
            throw UserError.config("jvmm check does not take --restore or --verify-memory: 'jvmm run --restore PATH' "
                    + "checks the snapshot (format, checksums, plugins, board, device states) before its guest runs");
        }

        // Without plugins or a manifest there is nothing to check the rest against: those stop here.
        PluginLayer layer = plugins.load();
        ResolverRegistry registry = RunCommand.registry(layer, err);
        if (!registry.broken().isEmpty()) {
            problems.add(RunCommand.brokenMessage(registry));
        }
        VmManifest manifest;
        try {
            manifest = vm.manifest(registry, ManifestCommand.given(spec, "--chipset"), ManifestCommand.given(spec, "--arch"));
        } catch (UserError e) {
            problems.addAll(e.messages());
            throw UserError.config(problems);
        }
        RunCommand.missingMessage(manifest, registry).ifPresent(problems::add);
        // reported above: the rest of the board is still built and checked without them
        Set<String> leaveOut = ManifestJson.missingResources(manifest, registry).stream()
                .map(MissingResource::device).collect(Collectors.toSet());

        collect(problems, launch::resetPolicy);
        if (launch.log != null) {
            collect(problems, () -> {
                Logging.check(launch.log);
                return null;
            });
        }
        if (launch.apiSocket != null) {
            collect(problems, () -> {
                ControlServer.checkPath(launch.apiSocket);
                return null;
            });
        }
        MachineConfig size = collect(problems, () -> launch.machine(Integer.MAX_VALUE));
        GuestPayload payload = collect(problems, launch::payload);
        HypervisorRegistry hvs = HypervisorRegistry.load(layer.layer(), List.of());
        HypervisorProvider hv = collect(problems, () -> launch.candidate(hvs));
        if (hv != null && !hv.architectures().contains(manifest.arch())) {
            problems.add(LaunchOptions.unsupportedArch(hv, manifest.arch()));
        }

        long memory = size == null ? FALLBACK_MEMORY : size.memoryBytes();
        Set<String> supplied = hv == null ? Set.of() : hv.suppliedDevices(manifest.arch());
        BoardSummary board = null;
        AcpiTables acpi = null;
        VmLauncher launcher = new VmLauncher(layer.layer()).checkOnly().acpiTables(launch.acpiForKernel()).acpiTablesForFirmware(launch.acpiForFirmware());
        try (VmLauncher.PreparedBoard prepared = launcher.prepareBoard(manifest, memory, supplied, leaveOut)) {
            board = BoardSummary.of(prepared.chipset(), supplied);
            // a Linux payload is checked with the board's tables (unless --no-acpi), as run loads it
            acpi = launcher.tablesFor(manifest, prepared, size == null ? 1 : size.vcpuCount(), payload);
        } catch (VmLauncher.LaunchException e) {
            problems.addAll(e.problems());
        }
        String loaded = null;
        if (payload != null && size != null) {
            try {
                loaded = VmLauncher.checkPayload(payload, memory, acpi);
            } catch (VmLauncher.LaunchException e) {
                problems.addAll(e.problems());
            }
        }
        String hypervisor = hv == null ? "none" : hypervisor(hv, manifest, size, problems);
        if (!problems.isEmpty()) {
            throw UserError.config(problems);
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println("jvmm check: no problems found; 'jvmm run' with these options would start the VM");
        out.printf("  chipset     %s %s%n", manifest.type().label(), manifest.arch().label());
        out.printf("  devices     %d: %s%n", board.devices().size(), String.join(", ", board.devices()));
        out.printf("  regions     %d port I/O, %d MMIO%n", board.pioRegions(), board.mmioRegions());
        out.printf("  payload     %s%n", loaded);
        out.printf("  memory      %s%n", MemorySize.format(size.memoryBytes()));
        out.printf("  vcpus       %d%n", size.vcpuCount());
        out.printf("  hypervisor  %s%n", hypervisor);
        out.flush();
        return 0;
    }

    /**
     * What can be asked of the backend without creating a VM: its availability and vCPU limit (a
     * probe that opens and closes the device, as 'jvmm plugins' does). Where it is
     * not available here that is no problem for a check, only a note: the limit is not checked.
     */
    private String hypervisor(HypervisorProvider hv, VmManifest manifest, MachineConfig size, List<String> problems) {
        Availability availability = hv.availability();
        if (!availability.available()) {
            return hv.name() + " is not available here (" + availability.reason() + "); --cpus was not checked "
                    + "against its vCPU limit";
        }
        int max = hv.maxVcpus();
        if (size != null) { // else --memory or --cpus is wrong, and reported already
            try {
                MachineConfig.parse(launch.memory, launch.cpus, max);
            } catch (ConfigurationException e) {
                problems.add(e.getMessage());
            }
        }
        return hv.name() + " (available, at most " + max + " vCPUs per VM; no VM was created)";
    }

    /** Runs {@code step}; a {@link UserError} becomes problems and the step's result null. */
    private static <T> T collect(List<String> problems, Supplier<T> step) {
        try {
            return step.get();
        } catch (UserError e) {
            problems.addAll(e.messages());
            return null;
        }
    }

    /**
     * The board as the summary shows it.
     *
     * @param devices board devices in board order, then those the hypervisor supplies
     */
    private record BoardSummary(List<String> devices, int pioRegions, int mmioRegions) {
        static BoardSummary of(Chipset chipset, Set<String> supplied) {
            List<String> names = new ArrayList<>();
            chipset.devices().forEach(d -> names.add(d.name()));
            new TreeSet<>(supplied).forEach(id -> names.add(id + " (hypervisor)"));
            return new BoardSummary(List.copyOf(names), chipset.board().pioRegions().size(),
                    chipset.board().mmioRegions().size());
        }
    }
}
