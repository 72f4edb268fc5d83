package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.runtime.vm.LaunchedVm;
import io.jvmm.runtime.vm.ResetPolicy;
import io.jvmm.runtime.vm.VmOutcome;
import io.jvmm.runtime.vm.VmState;
import io.jvmm.testkit.RequiresKvm;
import io.jvmm.testkit.ScaledTimeout;
import io.jvmm.testkit.TestTime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pause, resume, reset and shutdown of a running VM through real KVM, watched through a guest that
 * counts on the debug console (counter.S).
 */
@ScaledTimeout(120)
@RequiresKvm
class PauseResumeKvmTest {
    private static final String BOOT = "counter: boot\n";
    private static final Duration WAIT = TestTime.seconds(30);

    @Test
    void pauseStopsTheGuestResumeContinuesItResetStartsItOver(@TempDir Path dir) throws Exception {
        VmHarness.kvm();
        Path out = dir.resolve("debugcon.out");
        try (LaunchedVm vm = VmHarness.launch(TestGuests.defaultChipset(null, out), TestGuests.firmware("counter"),
                32L << 20, 1, ResetPolicy.RESTART)) {
            CompletableFuture<VmOutcome> run = VmHarness.start(vm);
            try {
                String text = VmHarness.awaitFile(out, t -> t.startsWith(BOOT) && t.length() > BOOT.length() + 9 * 100,
                        WAIT);
                assertTrue(text.startsWith(BOOT) && text.length() > BOOT.length() + 900, "the guest counts: " + text);

                vm.machine().pause();
                awaitState(vm, VmState.PAUSED);
                // PAUSED is set before the vCPUs are parked and the devices' last output is flushed
                long paused = VmHarness.awaitSteadySize(out, TestTime.millis(500), WAIT);
                // A second in which a guest that still ran would print (it counts as fast as it can):
                // not a synchronization, only how long the check below looks, so it need not scale.
                Thread.sleep(1000);
                assertEquals(paused, Files.size(out), "a paused guest writes nothing");

                vm.machine().resume();
                awaitState(vm, VmState.RUNNING);
                text = VmHarness.awaitFile(out, t -> t.length() > paused + 900, WAIT);
                assertTrue(text.length() > paused + 900, "the resumed guest counts on");
                assertCountsFromOne(text.substring(BOOT.length()));

                vm.machine().reset();
                text = VmHarness.awaitFile(out, t -> secondRun(t) != null && secondRun(t).length() > 9 * 10, WAIT);
                String again = secondRun(text);
                assertTrue(again != null && again.length() > 90, "the guest boots again after the reset: "
                        + text.substring(Math.max(0, text.length() - 200)));
                assertCountsFromOne(again);
                assertEquals(1, vm.machine().resets());

                vm.machine().shutdown();
                VmOutcome outcome = run.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
                assertInstanceOf(VmOutcome.PoweredOff.class, outcome, outcome.toString());
                assertEquals(VmState.SHUT_DOWN, vm.machine().state());
            } finally {
                vm.machine().shutdown();
                run.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            }
        }
    }

    /** The text after the second boot line, or null before it. */
    private static String secondRun(String text) {
        int first = text.indexOf(BOOT);
        int second = first < 0 ? -1 : text.indexOf(BOOT, first + BOOT.length());
        return second < 0 ? null : text.substring(second + BOOT.length());
    }

    /**
     * The complete lines of {@code text} are 1, 2, 3, ... in 8 hex digits: nothing lost or repeated
     * across a pause.
     */
    private static void assertCountsFromOne(String text) {
        String[] lines = text.split("\n", -1);
        int complete = lines.length - 1; // the part after the last newline is still being written
        for (int i = 0; i < complete; i++) {
            assertEquals(String.format("%08x", i + 1), lines[i], "line " + (i + 1) + " of the count");
        }
        assertTrue(complete >= 10, "at least ten numbers: " + text);
    }

    private static void awaitState(LaunchedVm vm, VmState want) throws InterruptedException {
        long end = System.nanoTime() + WAIT.toNanos();
        while (vm.machine().state() != want && System.nanoTime() < end) {
            Thread.sleep(10);
        }
        assertEquals(want, vm.machine().state());
    }
}
