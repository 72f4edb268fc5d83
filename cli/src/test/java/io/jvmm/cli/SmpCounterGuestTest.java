package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.hv.MachineArch;
import io.jvmm.runtime.manifest.BaseChipsetType;
import io.jvmm.runtime.manifest.ChipsetDeviceHandle;
import io.jvmm.runtime.manifest.VmManifest;
import io.jvmm.runtime.manifest.VmManifestBuilder;
import io.jvmm.runtime.vm.LaunchedVm;
import io.jvmm.runtime.vm.ResetPolicy;
import io.jvmm.runtime.vm.VmLauncher;
import io.jvmm.runtime.vm.VmOutcome;
import io.jvmm.runtime.vm.VmSpec;
import io.jvmm.testkit.RequiresKvm;
import io.jvmm.testkit.ScaledTimeout;
import io.jvmm.testkit.TestTime;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Two vCPUs of a real KVM VM hammer one device and two sources of a shared line (guest
 * smp_counter.S): 4 * 250,000 = 10^6 port writes. The counter counts with plain fields under the
 * board's per-device lock, so a lost update would show as a total below 2N; the line ends at the
 * OR of the two sources' final levels.
 */
@RequiresKvm
class SmpCounterGuestTest {
    static final Path GUESTS = Path.of("src", "test", "guests");
    private static final long N = 250_000;

    @Test
    @ScaledTimeout(150)
    void twoVcpusLoseNoUpdateAndTheSharedLineEndsAtTheOr() throws Exception {
        VmHarness.kvm();
        CounterDevices.CounterResolver counters = new CounterDevices.CounterResolver();
        CounterDevices.WatchResolver watch = new CounterDevices.WatchResolver();
        VmManifest base = new VmManifestBuilder(BaseChipsetType.UNENLIGHTENED_LINUX_DIRECT, MachineArch.X86_64).build();
        List<ChipsetDeviceHandle> devices = new ArrayList<>(base.devices());
        devices.add(new ChipsetDeviceHandle("counter-a", new CounterDevices.CounterHandle(0x500, N, 2).toResource()));
        devices.add(new ChipsetDeviceHandle("counter-b", new CounterDevices.CounterHandle(0x510, N, 0).toResource()));
        devices.add(new ChipsetDeviceHandle("line-watch", new CounterDevices.WatchHandle().toResource()));
        VmManifest manifest = new VmManifest(base.type(), base.arch(), base.chipset(), devices);

        long start = System.nanoTime();
        VmOutcome outcome;
        try (LaunchedVm vm = new VmLauncher(ModuleLayer.boot()).addResolver(counters).addResolver(watch)
                .launch(new VmSpec(manifest, 32L << 20, 2, VmHarness.firmware(GUESTS.resolve("smp_counter.bin")),
                        ResetPolicy.EXIT), VmHarness.kvm())) {
            // 6 s natively, 17 s with the host's two cores busy, 70-90 s in the nested-KVM L1
            outcome = VmHarness.runToEnd(vm, TestTime.seconds(120));
            CounterDevices.Counter a = counters.get("counter-a");
            CounterDevices.Counter b = counters.get("counter-b");
            assertInstanceOf(VmOutcome.PoweredOff.class, outcome, outcome.toString() + "; counter A saw " + a.count()
                    + " writes and " + a.dones() + " done(s); the AP may not have started");
            assertEquals(2 * N, a.count(), "writes to the counter port from both vCPUs");
            assertEquals(N + 1, a.toggles(), "line writes of vCPU 0");
            assertEquals(N + 1, b.toggles(), "line writes of vCPU 1");
            assertEquals(2, a.dones());
            assertTrue(a.line().level() && !b.line().level(), "final source levels: A high, B low");
            assertTrue(watch.watch.level(), "the watcher ends at A OR B = high");
            assertTrue(vm.chipset().lines().lineSet(CounterDevices.LINE_SET).isHigh(0));
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("smp counter guest: %d port writes by 2 vCPUs in %.2f s (%.0f writes/s)%n", 4 * N + 4,
                seconds, (4 * N + 4) / seconds);
    }
}
