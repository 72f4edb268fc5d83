package io.jvmm.cli;

import io.jvmm.api.hv.Availability;
import io.jvmm.api.hv.HypervisorProvider;
import io.jvmm.runtime.manifest.VmManifest;
import io.jvmm.runtime.registry.HypervisorRegistry;
import io.jvmm.runtime.vm.GuestPayload;
import io.jvmm.runtime.vm.LaunchedVm;
import io.jvmm.runtime.vm.ResetPolicy;
import io.jvmm.runtime.vm.VmLauncher;
import io.jvmm.runtime.vm.VmOutcome;
import io.jvmm.runtime.vm.VmSpec;
import io.jvmm.testkit.TestTime;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Runs whole VMs through real KVM in tests: the boot layer's resolvers and hypervisor, a manifest,
 * a payload. A test that uses it is annotated {@link io.jvmm.testkit.RequiresKvm}, which skips it
 * with the reason where KVM cannot be used; reaching here without KVM means the annotation is missing.
 */
final class VmHarness {
    private VmHarness() {}

    /**
     * The KVM provider. Fails (rather than skips) when KVM is not usable: only a test without
     * {@code @RequiresKvm} gets here then, and such a test would never run in CI's nested-KVM pass.
     */
    static HypervisorProvider kvm() {
        HypervisorRegistry hvs = HypervisorRegistry.load(ModuleLayer.boot(), List.of());
        HypervisorProvider kvm = hvs.providers().stream().filter(p -> p.name().equals("kvm")).findFirst()
                .orElseThrow(() -> new IllegalStateException("the kvm backend is not on the test module path"));
        Availability a = kvm.availability();
        if (!a.available()) {
            throw new IllegalStateException("this test runs a VM but is not annotated @RequiresKvm (/dev/kvm is not"
                    + " usable here: " + a.reason() + ")");
        }
        return kvm;
    }

    /** Builds (but does not run) a VM. */
    static LaunchedVm launch(VmManifest manifest, GuestPayload payload, long memoryBytes, int vcpus,
            ResetPolicy onReset) throws VmLauncher.LaunchException {
        return new VmLauncher(ModuleLayer.boot())
                .launch(new VmSpec(manifest, memoryBytes, vcpus, payload, onReset), kvm());
    }

    /** Runs {@code vm} on another thread; the future completes with its outcome. */
    static CompletableFuture<VmOutcome> start(LaunchedVm vm) {
        CompletableFuture<VmOutcome> f = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                f.complete(vm.run());
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        }, "test-vm");
        t.setDaemon(true);
        t.start();
        return f;
    }

    /**
     * Runs {@code vm} to its end, or stops it after {@code timeout} (then the outcome says so and
     * the test fails on it, instead of hanging the build). Deadlines here are {@link TestTime}
     * budgets, {@code TestTime.seconds(30)}, so that they stretch on a slow machine.
     */
    static VmOutcome runToEnd(LaunchedVm vm, Duration timeout) throws Exception {
        CompletableFuture<VmOutcome> f = start(vm);
        try {
            return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            vm.machine().shutdown();
            VmOutcome late = f.get(TestTime.seconds(10).toMillis(), TimeUnit.MILLISECONDS);
            return new VmOutcome.Failed("test timeout after " + timeout + " (then: " + late + ")");
        }
    }

    /** A firmware image from a path relative to the cli module (e.g. a committed guest .bin). */
    static GuestPayload firmware(Path image) throws IOException {
        return new GuestPayload.Firmware(image.getFileName().toString(), Files.readAllBytes(image));
    }

    /**
     * The size of {@code file} once it has stopped growing: unchanged for {@code quiet} (a
     * {@link TestTime} budget: output still on its way through a device thread may pause that long on
     * a slow machine). For output whose end nothing signals, e.g. a guest's last bytes after a
     * pause; fails if it still grows after {@code timeout}.
     */
    static long awaitSteadySize(Path file, Duration quiet, Duration timeout) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        long size = Files.exists(file) ? Files.size(file) : 0;
        long since = System.nanoTime();
        while (System.nanoTime() - end < 0) {
            Thread.sleep(20);
            long now = Files.exists(file) ? Files.size(file) : 0;
            if (now != size) {
                size = now;
                since = System.nanoTime();
            } else if (System.nanoTime() - since >= quiet.toNanos()) {
                return size;
            }
        }
        throw new AssertionError(file + " did not stop growing (unchanged for " + quiet + ") within " + timeout);
    }

    /** Waits until {@code file}'s text satisfies {@code done}; returns the text. */
    static String awaitFile(Path file, Predicate<String> done, Duration timeout) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        String text = "";
        while (System.nanoTime() < end) {
            text = Files.exists(file) ? Files.readString(file, StandardCharsets.ISO_8859_1) : "";
            if (done.test(text)) {
                return text;
            }
            Thread.sleep(20);
        }
        return text;
    }
}
