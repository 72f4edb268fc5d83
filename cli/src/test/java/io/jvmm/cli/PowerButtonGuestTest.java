package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import io.jvmm.runtime.vm.LaunchedVm;
import io.jvmm.runtime.vm.ResetPolicy;
import io.jvmm.runtime.vm.VmOutcome;
import io.jvmm.testkit.RequiresKvm;
import io.jvmm.testkit.ScaledTimeout;
import io.jvmm.testkit.TestTime;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The power_button guest through real KVM exits: it enables the ACPI fixed power button in dev-pm's
 * PM1 enable register and polls PM1 status; {@code ctl shutdown} (the control socket's code path,
 * {@link LaunchedVmControl}) presses the button, the guest sees PWRBTN_STS, clears it, and resets
 * through the 0xCF9 reset control register, which ends the run under {@code --on-reset exit}.
 */
@RequiresKvm
@ScaledTimeout(60)
class PowerButtonGuestTest {
    @TempDir
    Path dir;

    @Test
    void thePressReachesTheGuestAndItsCf9ResetEndsTheRun() throws Exception {
        VmHarness.kvm();
        Path e9 = dir.resolve("e9.txt");
        try (LaunchedVm vm = VmHarness.launch(ChipsetGuests.debugconManifest(e9), ChipsetGuests.image("power_button"),
                ChipsetGuests.MEMORY, 1, ResetPolicy.EXIT)) {
            CompletableFuture<VmOutcome> run = VmHarness.start(vm);
            assertEquals("E", VmHarness.awaitFile(e9, t -> !t.isEmpty(), TestTime.seconds(30)),
                    "the guest enabled PWRBTN_EN");
            assertFalse(run.isDone(), "the guest waits for the button");

            Map<String, Object> said = new LaunchedVmControl(vm).shutdown(false);
            assertEquals("pressed", said.get("power_button"));
            assertEquals(true, said.get("guest_listening"), "the guest had set PWRBTN_EN: " + said);

            VmOutcome outcome = run.get(TestTime.seconds(30).toMillis(), TimeUnit.MILLISECONDS);
            assertEquals(new VmOutcome.ResetExit("reset-control had 0x06 written to its reset control register "
                    + "(port 0xcf9, RST_CPU with SYS_RST)"), outcome);
            assertEquals("EBC", ChipsetGuests.read(e9), "B: PWRBTN_STS seen; C: cleared by writing 1; no X");
        }
    }
}
