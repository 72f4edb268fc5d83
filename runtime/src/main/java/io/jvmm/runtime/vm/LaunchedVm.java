package io.jvmm.runtime.vm;

import io.jvmm.api.hv.Partition;
import io.jvmm.api.serial.SerialBackend;
import io.jvmm.runtime.board.Chipset;
import io.jvmm.runtime.input.KeyboardDistributor;
import io.jvmm.runtime.registry.ResolverRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import io.jvmm.api.device.SavedStateBlob;
import io.jvmm.runtime.board.BoardDevice;
import io.jvmm.runtime.manifest.ManifestJson;
import io.jvmm.runtime.snapshot.MachineState;
import io.jvmm.runtime.snapshot.Snapshot;
import io.jvmm.runtime.snapshot.SnapshotException;
import java.lang.module.ModuleDescriptor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A built VM and what controls it: run it once, pause, resume, reset or stop it from other
 * threads, send it keys, ask for its status. Closing releases the partition and the devices.
 */
public final class LaunchedVm implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LaunchedVm.class);
    private final VmSpec spec;
    private final Partition partition;
    private final Chipset chipset;
    private final VirtualMachine vm;
    private final KeyboardDistributor keyboard;
    private final ResolverRegistry registry;
    private final String hypervisor;
    private final boolean acpi;
    private volatile Instant started;

    LaunchedVm(VmSpec spec, Partition partition, Chipset chipset, VirtualMachine vm, KeyboardDistributor keyboard,
            ResolverRegistry registry, String hypervisor, boolean acpi) {
        this.hypervisor = hypervisor;
        this.acpi = acpi;
        this.spec = spec;
        this.partition = partition;
        this.chipset = chipset;
        this.vm = vm;
        this.keyboard = keyboard;
        this.registry = registry;
    }

    /** Runs until the guest powers off, resets under {@code --on-reset exit}, or fails. */
    public VmOutcome run() {
        started = Instant.now();
        VmOutcome outcome = vm.run();
        // When run() returns, what the guest wrote is where it was going (a file can be read).
        chipset.resolved(SerialBackend.class).forEach(SerialBackend::flush);
        return outcome;
    }

    public VirtualMachine machine() {
        return vm;
    }

    public Chipset chipset() {
        return chipset;
    }

    public KeyboardDistributor keyboard() {
        return keyboard;
    }

    public ResolverRegistry registry() {
        return registry;
    }

    public VmSpec spec() {
        return spec;
    }

    /**
     * Saves the VM to the snapshot directory {@code path} (see {@link io.jvmm.runtime.snapshot}):
     * stops it as a pause does, saves the partition, every vCPU, every device and RAM, writes the
     * directory atomically, then resumes it, or with {@code stopAfter} ends the run with {@link
     * VmOutcome.Stopped}. A board with a device that cannot save its state is refused at once,
     * naming the devices, and the VM is not touched.
     *
     * @return completes when the snapshot is on disk (or failed: a {@link SnapshotException} for the
     *     directory, an {@link IllegalStateException} for a VM that cannot be saved now)
     */
    public CompletableFuture<Snapshot.Written> snapshot(Path path, boolean stopAfter) {
        List<String> without = new ArrayList<>();
        for (BoardDevice d : chipset.devices()) {
            if (d.device().capabilities().savedState().isEmpty()) {
                without.add(d.name());
            }
        }
        if (!without.isEmpty()) {
            return CompletableFuture.failedFuture(new IllegalStateException("cannot snapshot this VM: device"
                    + (without.size() == 1 ? " " : "s ") + String.join(", ", without)
                    + (without.size() == 1 ? " does" : " do") + " not support saving its state (no SaveRestore); "
                    + "the VM goes on untouched"));
        }
        Snapshot.Facts facts = new Snapshot.Facts(jvmmVersion(), hypervisor, spec.manifest().arch().label(),
                partition.config().memoryBytes(), partition.config().vcpuCount(), new ManifestJson().write(spec.manifest()),
                acpi, spec.onReset().name().toLowerCase(Locale.ROOT));
        return vm.whileStopped(() -> {
            List<String> stuck = chipset.runner().leftRunning();
            if (!stuck.isEmpty()) {
                throw new IllegalStateException("cannot snapshot this VM now: device" + (stuck.size() == 1 ? " " : "s ")
                        + String.join(", ", stuck) + " did not stop (stuck in a poll for more than "
                        + "2 s), so the state saved would not be consistent; the VM goes on");
            }
            long start = System.nanoTime();
            // Devices first: saving one may settle a line it drives (the RTC catches up its update
            // flags and IRQ 8), and that level must be in the interrupt controllers' state saved next.
            Map<String, SavedStateBlob> devices = new LinkedHashMap<>();
            for (BoardDevice d : chipset.devices()) {
                devices.put(d.name(), d.device().capabilities().savedState().orElseThrow().save());
            }
            SavedStateBlob partitionState = partition.saveState();
            List<SavedStateBlob> vcpus = new ArrayList<>();
            for (int i = 0; i < partition.config().vcpuCount(); i++) {
                vcpus.add(partition.vcpu(i).saveState());
            }
            long stateMillis = (System.nanoTime() - start) / 1_000_000;
            Snapshot.Written w = Snapshot.write(path, facts, spec.payload(),
                    new MachineState(partitionState, vcpus, devices), partition.memory()::saveImage);
            LOG.info("snapshot {} written in {} ms (state {} ms, memory {} ms): {} bytes in files {}", w.path(),
                    w.totalMillis(), stateMillis, w.memoryMillis(), w.totalBytes(), w.fileBytes());
            return w;
        }, stopAfter, "stopped after snapshot to " + path);
    }

    /** The runtime module's version, or "dev" outside a versioned module. */
    static String jvmmVersion() {
        ModuleDescriptor d = LaunchedVm.class.getModule().getDescriptor();
        return d == null ? "dev" : d.version().map(Object::toString).orElse("dev");
    }

    /** State and facts for {@code jvmm ctl status}. */
    public Map<String, Object> status() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("state", vm.state().name().toLowerCase(java.util.Locale.ROOT));
        Instant s = started;
        m.put("uptime_ms", s == null ? 0 : Duration.between(s, Instant.now()).toMillis());
        m.put("chipset", spec.manifest().type().label());
        m.put("arch", spec.manifest().arch().label());
        m.put("memory_bytes", spec.memoryBytes());
        m.put("vcpus", spec.vcpus());
        m.put("payload", spec.payload().describe());
        m.put("resets", vm.resets());
        m.put("devices", chipset.devices().size());
        return m;
    }

    @Override
    public void close() {
        chipset.close();
        partition.close();
    }
}
