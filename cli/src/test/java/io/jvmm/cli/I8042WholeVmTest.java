package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.handles.I8042Handle;
import io.jvmm.api.handles.MultiplexedKeyboardHandle;
import io.jvmm.runtime.manifest.ChipsetDeviceHandle;
import io.jvmm.runtime.manifest.VmManifest;
import io.jvmm.runtime.vm.LaunchedVm;
import io.jvmm.runtime.vm.ResetPolicy;
import io.jvmm.runtime.vm.VmOutcome;
import io.jvmm.testkit.RequiresKvm;
import io.jvmm.testkit.ScaledTimeout;
import io.jvmm.testkit.TestTime;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * dev-i8042's probe guest (the controller and keyboard probes Linux makes, then a reset through
 * command 0xFE) through real KVM, on the default chipset plus an i8042.
 */
@ScaledTimeout(60)
@RequiresKvm
class I8042WholeVmTest {
    private static final Path PROBE = Path.of("..", "dev-i8042", "src", "test", "guests", "i8042_probe.bin");
    /** What i8042_probe.S documents: power-on status, self tests, command bytes, keyboard reset/identify/enable. */
    private static final String EXPECTED = hex(0x14, 0x55, 0x00, 0x47, 0x44, 0xFA, 0xAA, 0xFA, 0xAB, 0x41, 0xFA);

    @TempDir
    Path dir;

    private VmManifest manifest(Path debugcon) throws Exception {
        VmManifest base = ChipsetGuests.debugconManifest(debugcon);
        List<ChipsetDeviceHandle> devices = new ArrayList<>(base.devices());
        devices.add(new ChipsetDeviceHandle("i8042",
                new I8042Handle(new MultiplexedKeyboardHandle(0).toResource()).toResource()));
        return new VmManifest(base.type(), base.arch(), base.chipset(), devices);
    }

    @Test
    void probeMatchesAndTheResetEndsTheRunUnderExit() throws Exception {
        VmHarness.kvm();
        Path out = dir.resolve("e9.bin");
        VmOutcome outcome;
        try (LaunchedVm vm = VmHarness.launch(manifest(out), VmHarness.firmware(PROBE), ChipsetGuests.MEMORY, 1,
                ResetPolicy.EXIT)) {
            outcome = VmHarness.runToEnd(vm, TestTime.seconds(30));
        }
        VmOutcome o = outcome;
        assertInstanceOf(VmOutcome.ResetExit.class, o, () -> "got " + o);
        String bytes = hex(ChipsetGuests.read(out));
        assertEquals(EXPECTED, bytes, "probe results, and no 'X' (58): the reset stopped the guest at once");
    }

    @Test
    void theResetRestartsTheGuestUnderRestart() throws Exception {
        VmHarness.kvm();
        Path out = dir.resolve("e9.bin");
        try (LaunchedVm vm = VmHarness.launch(manifest(out), VmHarness.firmware(PROBE), ChipsetGuests.MEMORY, 1,
                ResetPolicy.RESTART)) {
            CompletableFuture<VmOutcome> run = VmHarness.start(vm);
            String twice = EXPECTED + " " + EXPECTED;
            String seen = hex(VmHarness.awaitFile(out, t -> hex(t).startsWith(twice), TestTime.seconds(30)));
            int resets = vm.machine().resets();
            vm.machine().shutdown();
            VmOutcome outcome = run.get(TestTime.seconds(10).toMillis(), TimeUnit.MILLISECONDS);
            assertTrue(seen.startsWith(twice), "the probe ran again after its reset: " + seen);
            assertFalse(seen.contains("58"), "no boot ran past its reset request: " + seen);
            assertTrue(resets >= 1, "resets counted: " + resets);
            assertInstanceOf(VmOutcome.PoweredOff.class, outcome, () -> "got " + outcome);
        }
    }

    private static String hex(int... bytes) {
        StringBuilder sb = new StringBuilder();
        for (int b : bytes) {
            sb.append(sb.length() == 0 ? "" : " ").append(String.format("%02x", b));
        }
        return sb.toString();
    }

    private static String hex(String latin1) {
        return hex(latin1.chars().toArray());
    }
}
