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

/**
 * A built VM and what controls it: run it once, pause, resume, reset or stop it from other
 * threads, send it keys, ask for its status. Closing releases the partition and the devices.
 */
public final class LaunchedVm implements AutoCloseable {
    private final VmSpec spec;
    private final Partition partition;
    private final Chipset chipset;
    private final VirtualMachine vm;
    private final KeyboardDistributor keyboard;
    private final ResolverRegistry registry;
    private volatile Instant started;

    LaunchedVm(VmSpec spec, Partition partition, Chipset chipset, VirtualMachine vm, KeyboardDistributor keyboard,
            ResolverRegistry registry) {
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
