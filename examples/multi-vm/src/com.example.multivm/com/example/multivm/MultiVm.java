package com.example.multivm;

import io.jvmm.api.hv.HypervisorProvider;
import io.jvmm.api.hv.MachineArch;
import io.jvmm.runtime.manifest.BaseChipsetType;
import io.jvmm.runtime.manifest.VmManifest;
import io.jvmm.runtime.manifest.VmManifestBuilder;
import io.jvmm.runtime.registry.HypervisorRegistry;
import io.jvmm.runtime.registry.ResolverRegistry;
import io.jvmm.runtime.serial.SinkSerialResolver;
import io.jvmm.runtime.vm.GuestPayload;
import io.jvmm.runtime.vm.LaunchedVm;
import io.jvmm.runtime.vm.ResetPolicy;
import io.jvmm.runtime.vm.VmLauncher;
import io.jvmm.runtime.vm.VmOutcome;
import io.jvmm.runtime.vm.VmSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Starts N small VMs in this one JVM, each with its own guest RAM, board, devices and vCPU, waits
 * until every guest has said it runs ('R' on its debug port 0xE9, after touching all its RAM),
 * prints each VM's status and this process's RSS, then stops them all and prints how each ended.
 *
 * <pre>
 * MultiVm [N] [--memory MIB] [--image FILE] [--hold]
 *   N          how many VMs (default 8)
 *   --memory   guest RAM per VM in MiB (default 64, at least 17)
 *   --image    the guest firmware (default bench/guests/vms.bin of the jvmm checkout)
 *   --hold     wait for a line (or end of input) on stdin before stopping the VMs
 * </pre>
 *
 * Only the embedding API is used: one provider registry and one hypervisor for every VM, one
 * {@link VmLauncher}, and a {@link SinkSerialResolver} that hands each guest's debug-port bytes to
 * this program. Each VM is named ({@code vm0}, ...): its threads are {@code vm0-vcpu-0},
 * {@code vm0-devices}, and its controller thread here is {@code vm0}.
 */
public final class MultiVm {
    private static final int DEBUG_PORT = 0xE9;
    private static final long READY_TIMEOUT_SECONDS = 120;

    private MultiVm() {}

    /** One VM of this program: its handle, its outcome to come, and its 'R'. */
    private record Vm(String name, LaunchedVm launched, CompletableFuture<VmOutcome> outcome, CompletableFuture<Void> ready,
            long startNanos, long launchedNanos, long[] readyNanos) {}

    public static void main(String[] args) throws Exception {
        int count = 8;
        long memoryMib = 64;
        Path image = Path.of("bench", "guests", "vms.bin");
        boolean hold = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--memory" -> memoryMib = number(value(args, ++i, "--memory"), "--memory");
                case "--image" -> image = Path.of(value(args, ++i, "--image"));
                case "--hold" -> hold = true;
                default -> count = (int) number(args[i], "N");
            }
        }
        if (count < 1 || count > 1000 || memoryMib < 17) {
            usage("N must be 1 to 1000 and --memory at least 17 (MiB; the guest sizes its RAM from the CMOS)");
        }
        if (!Files.isRegularFile(image)) {
            usage("guest image " + image + " not found; give --image FILE (bench/guests/vms.bin of the jvmm checkout)");
        }
        GuestPayload payload = new GuestPayload.Firmware(image.getFileName().toString(), Files.readAllBytes(image));

        // Loaded once for all VMs: the providers on the module path and the KVM backend.
        ModuleLayer layer = MultiVm.class.getModule().getLayer();
        ResolverRegistry providers = ResolverRegistry.builder().loadFrom(layer).build();
        HypervisorProvider kvm;
        try {
            kvm = HypervisorRegistry.load(layer, List.of()).select("kvm"); // checks that it is available
        } catch (IllegalStateException e) {
            usage(e.getMessage());
            return;
        }
        SinkSerialResolver sinks = new SinkSerialResolver();
        VmLauncher launcher = new VmLauncher(layer).providers(providers).addResolver(sinks);

        long t0 = System.nanoTime();
        List<Vm> vms = new ArrayList<>();
        int failed = 0;
        try {
            for (int i = 0; i < count; i++) {
                vms.add(start("vm" + i, launcher, kvm, sinks, payload, memoryMib << 20));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(READY_TIMEOUT_SECONDS);
            for (Vm vm : vms) {
                awaitReady(vm, deadline);
            }
            System.out.printf("all %d VMs ready in %.0f ms (%d MiB guest RAM each)%n", count,
                    (System.nanoTime() - t0) / 1e6, memoryMib);
            for (Vm vm : vms) {
                System.out.printf("  %-5s %-8s built in %5.1f ms, 'R' %6.1f ms after that, %d resets, %d devices%n",
                        vm.name(), vm.launched().machine().state().name().toLowerCase(java.util.Locale.ROOT),
                        (vm.launchedNanos() - vm.startNanos()) / 1e6, (vm.readyNanos()[0] - vm.launchedNanos()) / 1e6,
                        vm.launched().machine().resets(),
                        vm.launched().chipset().devices().size());
            }
            System.out.printf("process: VmRSS %s, RssAnon %s, %d threads%n", status("VmRSS"), status("RssAnon"),
                    Thread.getAllStackTraces().size());
            System.out.println("ready");
            System.out.flush();
            if (hold) {
                waitForLine(System.in);
            }
        } catch (NotReady e) {
            System.err.println("multi-vm: " + e.getMessage());
            failed++;
        } finally {
            // Every VM started is stopped, waited for and closed, whatever went wrong above.
            for (Vm vm : vms) {
                vm.launched().machine().shutdown("the multi-vm example stops it");
            }
            for (Vm vm : vms) {
                if (!end(vm, sinks)) {
                    failed++;
                }
            }
        }
        System.exit(failed == 0 ? 0 : 1);
    }

    /** A VM that did not say 'R': it ended first, or the time ran out. */
    private static final class NotReady extends Exception {
        NotReady(String message) {
            super(message);
        }
    }

    /** Waits until the VM says 'R' or its run ends, whichever comes first, until {@code deadline}. */
    private static void awaitReady(Vm vm, long deadline) throws NotReady, InterruptedException {
        try {
            CompletableFuture.anyOf(vm.ready(), vm.outcome())
                    .get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new NotReady(vm.name() + " did not report 'R' within " + READY_TIMEOUT_SECONDS + " s (state "
                    + vm.launched().machine().state() + ")");
        } catch (ExecutionException e) {
            throw new NotReady(vm.name() + " ended before it reported 'R': its run threw " + e.getCause());
        }
        if (!vm.ready().isDone()) {
            throw new NotReady(vm.name() + " ended before it reported 'R': " + vm.outcome().join().summary());
        }
    }

    /**
     * Waits for a stopped VM's run to end, prints how it ended and closes it; whether it powered off.
     * A VM whose run does not end is left open (closing it under a running vCPU would be worse).
     */
    private static boolean end(Vm vm, SinkSerialResolver sinks) {
        try {
            VmOutcome outcome = vm.outcome().get(60, TimeUnit.SECONDS);
            System.out.println(vm.name() + ": " + outcome.summary());
            return outcome instanceof VmOutcome.PoweredOff;
        } catch (TimeoutException e) {
            System.out.println(vm.name() + ": did not stop within 60 s; left running");
            return false;
        } catch (ExecutionException e) {
            System.out.println(vm.name() + ": its run threw " + e.getCause());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            if (vm.outcome().isDone()) {
                vm.launched().close();
                sinks.remove(vm.name()); // the resolver lets go of the sink, and the name is free again
            }
        }
    }

    private static Vm start(String name, VmLauncher launcher, HypervisorProvider kvm, SinkSerialResolver sinks,
            GuestPayload payload, long memoryBytes) throws Exception {
        CompletableFuture<Void> ready = new CompletableFuture<>();
        long[] readyNanos = new long[1];
        // Called on the VM's vCPU thread during the port write: quick, no blocking (completing ready
        // only wakes the main thread waiting in awaitReady).
        SinkSerialResolver.ByteSink debugPort = (data, offset, length) -> {
            for (int i = offset; i < offset + length; i++) {
                if (data[i] == 'R' && !ready.isDone()) {
                    readyNanos[0] = System.nanoTime();
                    ready.complete(null);
                }
            }
        };
        VmManifest manifest = new VmManifestBuilder(BaseChipsetType.UNENLIGHTENED_LINUX_DIRECT, MachineArch.X86_64)
                .withDebugcon(sinks.sink(name, debugPort), DEBUG_PORT).build();
        long startNanos = System.nanoTime();
        LaunchedVm launched = launcher.launch(new VmSpec(manifest, memoryBytes, 1, payload, ResetPolicy.EXIT, name), kvm);
        long launchedNanos = System.nanoTime();
        CompletableFuture<VmOutcome> outcome = new CompletableFuture<>();
        // run() is the VM's controller: it returns when the VM ends, so each VM gets a thread for it.
        Thread controller = new Thread(() -> {
            try {
                outcome.complete(launched.run());
            } catch (RuntimeException | Error e) {
                outcome.completeExceptionally(e);
            }
        }, name);
        controller.start();
        return new Vm(name, launched, outcome, ready, startNanos, launchedNanos, readyNanos);
    }

    private static String status(String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(field + ":")) {
                return line.substring(field.length() + 1).trim();
            }
        }
        return "?";
    }

    private static void waitForLine(InputStream in) throws IOException {
        int b;
        do {
            b = in.read();
        } while (b != -1 && b != '\n');
    }

    private static long number(String text, String what) {
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            usage(what + ": '" + text + "' is not a number");
            return 0;
        }
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            usage(option + " needs a value");
        }
        return args[i];
    }

    private static void usage(String problem) {
        System.err.println("multi-vm: " + problem);
        System.err.println("usage: MultiVm [N] [--memory MIB] [--image FILE] [--hold]");
        System.exit(2);
    }
}
