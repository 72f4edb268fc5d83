package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.Capabilities;
import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.IoRegion;
import io.jvmm.api.device.IoResult;
import io.jvmm.api.device.PortIoIntercept;
import io.jvmm.api.hv.HypervisorProvider;
import io.jvmm.api.hv.MachineArch;
import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.ConfigWriter;
import io.jvmm.api.resource.ResolveContext;
import io.jvmm.api.resource.Resource;
import io.jvmm.api.resource.ResourceHandle;
import io.jvmm.api.resource.ResourceKind;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.api.resource.ResourceResolver;
import io.jvmm.runtime.manifest.BaseChipsetType;
import io.jvmm.runtime.manifest.ChipsetDeviceHandle;
import io.jvmm.runtime.manifest.VmManifest;
import io.jvmm.runtime.manifest.VmManifestBuilder;
import io.jvmm.runtime.registry.ResolverRegistry;
import io.jvmm.runtime.serial.SinkSerialResolver;
import io.jvmm.runtime.vm.GuestPayload;
import io.jvmm.runtime.vm.LaunchedVm;
import io.jvmm.runtime.vm.ResetPolicy;
import io.jvmm.runtime.vm.VmLauncher;
import io.jvmm.runtime.vm.VmOutcome;
import io.jvmm.runtime.vm.VmSpec;
import io.jvmm.testkit.RequiresKvm;
import io.jvmm.testkit.ScaledTimeout;
import io.jvmm.testkit.TestTime;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * Many VMs in one JVM, through the embedding API alone (one {@link VmLauncher} with one shared
 * provider registry, output to in-memory sinks): two counting guests (counter.S) run while other
 * VMs of the same process end badly, one after the other: a guest that triple-faults (triple.S), a
 * device that throws a RuntimeException from its I/O handler (the access is an error, the guest
 * goes on and powers off) and one that throws an Error (its vCPU thread fails, so that VM fails).
 * Each ends with its own outcome, and after each the counters' output is seen to grow (observed,
 * not slept); then each counter is stopped on its own, the other still counting, and no thread
 * of any of the VMs and no file descriptor is left once they are closed.
 */
@RequiresKvm
class MultiVmIsolationKvmTest {
    private static final int BAD_PORT = 0x520;
    private static final long MEMORY = 16L << 20;

    /** The VMs this test runs: their threads are all named {@code vm-X-...}. */
    private static final List<String> VMS = List.of("w", "a", "b", "c", "d", "e");

    @Test
    @ScaledTimeout(120)
    void oneVmsCrashOrFailingDeviceEndsThatVmAloneAndTheOthersRunOn() throws Exception {
        HypervisorProvider kvm = VmHarness.kvm();
        java.util.Set<Thread> before = java.util.Set.copyOf(Thread.getAllStackTraces().keySet());
        SinkSerialResolver sinks = new SinkSerialResolver();
        VmLauncher launcher = new VmLauncher(ModuleLayer.boot())
                .providers(ResolverRegistry.builder().loadBootLayer().build())
                .addResolver(sinks).addResolver(new ThrowingResolver());
        GuestPayload counter = VmHarness.firmware(SmpCounterGuestTest.GUESTS.resolve("counter.bin"));
        Duration wait = TestTime.seconds(30);

        // A warm-up VM run and closed first, so that what the JVM and the backend open once and keep
        // (JNA's libraries, /dev/kvm's first use) is in the file-descriptor baseline.
        VmOutcome warm = runAlone(launcher.launch(spec(sinks, "w", new Output(), List.of(),
                ChipsetGuests.image("triple")), kvm), wait);
        assertInstanceOf(VmOutcome.ResetExit.class, warm, warm.toString());
        sinks.remove("w");
        awaitNoThreadsOf(before, wait);
        List<String> fdsBefore = openFds();

        Output outA = new Output();
        Output outB = new Output();
        Running a = null;
        Running b = null;
        try {
            a = Running.start(launcher.launch(spec(sinks, "a", outA, List.of(), counter), kvm));
            b = Running.start(launcher.launch(spec(sinks, "b", outB, List.of(), counter), kvm));
            await("both counters print their first lines", wait, () -> outA.lines() >= 2 && outB.lines() >= 2);
            assertTrue(vmThreads(before).containsAll(List.of("vm-a-vcpu-0", "vm-b-vcpu-0")),
                    "each VM's threads carry its name: " + vmThreads(before));

            // a guest crash: triple fault, with --on-reset exit the run ends with the reset
            Output outC = new Output();
            VmOutcome triple = runAlone(launcher.launch(spec(sinks, "c", outC, List.of(),
                    ChipsetGuests.image("triple")), kvm), wait);
            assertInstanceOf(VmOutcome.ResetExit.class, triple, triple.toString());
            assertTrue(triple.summary().contains("triple-faulted"), triple.summary());
            assertEquals("B", outC.text(), "the crashing guest's own output");
            bothGoOn(outA, outB, wait, "after the triple fault");

            // a device that throws a RuntimeException: the accesses are errors, the guest finishes
            Output outD = new Output();
            VmOutcome contained = runAlone(launcher.launch(spec(sinks, "d", outD, List.of(bad("runtime")),
                    VmHarness.firmware(SmpCounterGuestTest.GUESTS.resolve("bad_device.bin"))), kvm), wait);
            assertInstanceOf(VmOutcome.PoweredOff.class, contained, contained.toString());
            assertTrue(outD.text().endsWith("OK"), "the guest got past the throwing device");
            bothGoOn(outA, outB, wait, "after the RuntimeException");

            // a device that throws an Error: the vCPU thread fails and so does that VM, alone
            Output outE = new Output();
            VmOutcome failed = runAlone(launcher.launch(spec(sinks, "e", outE, List.of(bad("error")),
                    VmHarness.firmware(SmpCounterGuestTest.GUESTS.resolve("bad_device.bin"))), kvm), wait);
            assertInstanceOf(VmOutcome.Failed.class, failed, failed.toString());
            assertTrue(failed.summary().contains("vCPU 0 failed") && failed.summary().contains(DeviceFailure.MESSAGE),
                    failed.summary());
            bothGoOn(outA, outB, wait, "after the Error");

            // each counter ends on its own: stopping A leaves B counting
            a.vm.machine().shutdown("the test stops A");
            VmOutcome endA = a.outcome.get(wait.toMillis(), TimeUnit.MILLISECONDS);
            assertEquals(new VmOutcome.PoweredOff("the test stops A"), endA);
            long bAtEnd = outB.lines();
            await("B counts on after A stopped", wait, () -> outB.lines() > bAtEnd + 100);
            b.vm.machine().shutdown("the test stops B");
            assertEquals(new VmOutcome.PoweredOff("the test stops B"), b.outcome.get(wait.toMillis(), TimeUnit.MILLISECONDS));
        } finally {
            // Whatever failed above, no counter is left busy-looping in the test JVM.
            stopAndClose(a, wait);
            stopAndClose(b, wait);
            VMS.forEach(sinks::remove);
        }
        assertTrue(outA.text().startsWith("counter: boot\n00000001\n"), "A counted from its own boot");
        assertTrue(outB.text().startsWith("counter: boot\n00000001\n"), "B counted from its own boot");
        // Every VM's vCPU, device scheduler and poll threads end once it is closed (close() ends the
        // poll pool at once, not after the pool's 30 s idle time), and no file descriptor is left.
        awaitNoThreadsOf(before, wait);
        List<String> left = new ArrayList<>(openFds());
        fdsBefore.forEach(left::remove);
        assertEquals(List.of(), left, "file descriptors opened since the baseline and still open after every VM was "
                + "closed (module jars that class loading opens on first use are not counted)");
        System.out.printf("multi-vm: A printed %d lines, B %d, while C, D and E ended on their own%n",
                outA.lines(), outB.lines());
    }

    /** Stops a VM that may still run, waits for its run to end and closes it; never throws. */
    private static void stopAndClose(Running r, Duration wait) {
        if (r == null) {
            return;
        }
        r.vm.machine().shutdown("the test ends");
        try {
            r.outcome.get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            // the run ended badly or not in time: closing a partition under a running vCPU is
            // worse than leaving it, so only an ended run is closed
            if (!r.outcome.isDone()) {
                System.err.println("the VM did not stop within " + wait + "; left open: " + e);
                return;
            }
        }
        r.vm.close();
    }

    /**
     * What the process's open file descriptors point to (/proc/self/fd), one entry per descriptor,
     * except jar files: the JVM opens a module's jar when it first loads a class from it and keeps
     * it open, which depends on what other tests of this JVM loaded before, not on the VMs.
     */
    private static List<String> openFds() throws java.io.IOException {
        try (var fds = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/fd"))) {
            return fds.map(p -> {
                try {
                    return java.nio.file.Files.readSymbolicLink(p).toString();
                } catch (java.io.IOException e) {
                    return "?"; // closed meanwhile (the directory listing's own descriptor)
                }
            }).filter(t -> !t.endsWith(".jar") && !t.equals("?")).toList();
        }
    }

    private static VmSpec spec(SinkSerialResolver sinks, String name, Output out, List<ChipsetDeviceHandle> extra,
            GuestPayload payload) throws Exception {
        VmManifest base = new VmManifestBuilder(BaseChipsetType.UNENLIGHTENED_LINUX_DIRECT, MachineArch.X86_64)
                .withDebugcon(sinks.sink(name, out::write), 0xE9).build();
        List<ChipsetDeviceHandle> devices = new ArrayList<>(base.devices());
        devices.addAll(extra);
        return new VmSpec(new VmManifest(base.type(), base.arch(), base.chipset(), devices), MEMORY, 1, payload,
                ResetPolicy.EXIT, "vm-" + name);
    }

    private static ChipsetDeviceHandle bad(String how) {
        return new ChipsetDeviceHandle("bad", Resource.of(ResourceKinds.CHIPSET_DEVICE, ThrowingResolver.ID,
                new ThrowingHandle(how)));
    }

    private static VmOutcome runAlone(LaunchedVm vm, Duration timeout) throws Exception {
        try (vm) {
            return VmHarness.runToEnd(vm, timeout);
        }
    }

    /** Both counters print at least 100 more lines than when this was called. */
    private static void bothGoOn(Output a, Output b, Duration wait, String when) throws Exception {
        long a0 = a.lines();
        long b0 = b.lines();
        await("both counters go on " + when, wait, () -> a.lines() > a0 + 100 && b.lines() > b0 + 100);
    }

    private static void await(String what, Duration timeout, BooleanSupplier done) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() - end > 0) {
                throw new AssertionError("not within " + timeout + ": " + what);
            }
            Thread.sleep(10);
        }
    }

    /** Threads of this test's VMs (vCPUs, device scheduler, poll threads) started since {@code before}, alive. */
    private static List<String> vmThreads(java.util.Set<Thread> before) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.isAlive() && !before.contains(t))
                .map(Thread::getName)
                .filter(n -> VMS.stream().anyMatch(vm -> n.startsWith("vm-" + vm + "-"))).toList();
    }

    private static void awaitNoThreadsOf(java.util.Set<Thread> before, Duration wait) throws InterruptedException {
        long end = System.nanoTime() + wait.toNanos();
        while (!vmThreads(before).isEmpty()) {
            if (System.nanoTime() - end > 0) {
                assertEquals(List.of(), vmThreads(before), "threads of closed VMs left");
            }
            Thread.sleep(10);
        }
    }

    /** A VM running on its own thread. */
    private record Running(LaunchedVm vm, CompletableFuture<VmOutcome> outcome) {
        static Running start(LaunchedVm vm) {
            return new Running(vm, VmHarness.start(vm));
        }
    }

    /** A guest's debugcon bytes, kept in memory; newline count for progress. */
    private static final class Output {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private long newlines;

        synchronized void write(byte[] data, int offset, int length) {
            bytes.write(data, offset, length);
            for (int i = offset; i < offset + length; i++) {
                if (data[i] == '\n') {
                    newlines++;
                }
            }
        }

        synchronized long lines() {
            return newlines;
        }

        synchronized String text() {
            return bytes.toString(StandardCharsets.ISO_8859_1);
        }
    }

    /** What the test device throws when it is to fail with an {@link Error}. */
    static final class DeviceFailure extends Error {
        static final String MESSAGE = "the test device fails for good";

        DeviceFailure() {
            super(MESSAGE);
        }
    }

    /** @param how "runtime" (throws IllegalStateException) or "error" (throws {@link DeviceFailure}) */
    record ThrowingHandle(String how) implements ResourceHandle {
        @Override
        public void writeConfig(ConfigWriter out) {
            out.string("how", how);
        }
    }

    /** Resolves {@code chipset_device:test_throwing}: four ports at 0x520 whose every access throws. */
    static final class ThrowingResolver implements ResourceResolver<ThrowingHandle, ChipsetDevice> {
        static final String ID = "test_throwing";

        @Override
        public ResourceKind<ChipsetDevice> kind() {
            return ResourceKinds.CHIPSET_DEVICE;
        }

        @Override
        public String id() {
            return ID;
        }

        @Override
        public Class<ThrowingHandle> handleType() {
            return ThrowingHandle.class;
        }

        @Override
        public ThrowingHandle parseHandle(ConfigReader config) {
            return new ThrowingHandle(config.string("how"));
        }

        @Override
        public ChipsetDevice resolve(ThrowingHandle h, ResolveContext context) {
            boolean error = h.how().equals("error");
            return new Throwing(error);
        }
    }

    private static final class Throwing implements ChipsetDevice, PortIoIntercept {
        private final boolean error;
        private final Capabilities capabilities = Capabilities.builder().portIo(this).build();

        Throwing(boolean error) {
            this.error = error;
        }

        @Override
        public Capabilities capabilities() {
            return capabilities;
        }

        @Override
        public List<IoRegion> pioRegions() {
            return List.of(new IoRegion("bad", BAD_PORT, 4));
        }

        private IoResult fail() {
            if (error) {
                throw new DeviceFailure();
            }
            throw new IllegalStateException("the test device throws on every access");
        }

        @Override
        public IoResult ioRead(int region, int offset, byte[] data) {
            return fail();
        }

        @Override
        public IoResult ioWrite(int region, int offset, byte[] data) {
            return fail();
        }
    }
}
