package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.runtime.vm.LaunchedVm;
import io.jvmm.runtime.vm.ResetPolicy;
import io.jvmm.runtime.vm.VmOutcome;
import io.jvmm.testkit.RequiresKvm;
import io.jvmm.testkit.ScaledTimeout;
import io.jvmm.testkit.TestTime;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jvmm ctl} against a live VM through real KVM: the ticker guest prints 'B' at boot and a
 * dot every 50 ms, so running, paused, reset and shut down are all visible in its output.
 */
@ScaledTimeout(90)
@RequiresKvm
class LiveControlSocketTest {
    @TempDir
    Path dir;

    @Test
    void statusPauseResumeResetAndShutdownOnARunningVm() throws Exception {
        VmHarness.kvm();
        Path out = dir.resolve("e9.txt");
        Path sock = dir.resolve("vm.sock");
        try (LaunchedVm vm = VmHarness.launch(ChipsetGuests.debugconManifest(out), ChipsetGuests.image("ticker"),
                ChipsetGuests.MEMORY, 1, ResetPolicy.RESTART);
                ControlServer server = ControlServer.start(sock, new LaunchedVmControl(vm))) {
            CompletableFuture<VmOutcome> run = VmHarness.start(vm);
            String ticking = VmHarness.awaitFile(out, t -> t.startsWith("B...."), TestTime.seconds(30));
            assertTrue(ticking.startsWith("B...."), "the guest ticks: " + ticking);

            CliHarness status = ctl(sock, "status");
            assertTrue(status.out().contains("\"state\" : \"running\""), status.out());
            assertTrue(status.out().contains("\"payload\" : \"firmware ticker.bin (65536 bytes)\""), status.out());
            assertTrue(status.out().contains("\"resets\" : 0"), status.out());

            ctl(sock, "pause");
            assertTrue(awaitState(sock, "paused"), "status says paused");
            // PAUSED is set before the vCPU is parked and the devices' last output is flushed: wait
            // for the file to stop growing (a fixed wait here was too short on a slow machine)
            long pausedAt = VmHarness.awaitSteadySize(out, TestTime.millis(500), TestTime.seconds(10));
            // Ten ticks' worth of guest time in which a guest that still ran would print: not a
            // synchronization, only how long the check below looks, so it need not scale.
            Thread.sleep(500);
            assertEquals(pausedAt, ChipsetGuests.read(out).length(), "no ticks while paused");

            ctl(sock, "resume");
            assertTrue(awaitState(sock, "running"), "status says running");
            String resumed = VmHarness.awaitFile(out, t -> t.length() >= pausedAt + 3, TestTime.seconds(20));
            assertTrue(resumed.length() >= pausedAt + 3, "ticking again after resume");
            assertEquals(1, ChipsetGuests.count(resumed, 'B'), "resume is not a reboot: " + resumed);

            ctl(sock, "reset");
            String rebooted = VmHarness.awaitFile(out, t -> ChipsetGuests.count(t, 'B') == 2, TestTime.seconds(20));
            assertEquals(2, ChipsetGuests.count(rebooted, 'B'), "booted again after reset: " + rebooted);
            CliHarness afterReset = ctl(sock, "status");
            assertTrue(afterReset.out().contains("\"resets\" : 1"), afterReset.out());
            assertTrue(afterReset.out().contains("\"state\" : \"running\""), afterReset.out());

            long asked = System.nanoTime();
            ctl(sock, "shutdown", "--force");
            VmOutcome outcome = run.get(TestTime.seconds(10).toMillis(), TimeUnit.MILLISECONDS);
            System.out.printf("ctl shutdown ended the run in %d ms%n", (System.nanoTime() - asked) / 1_000_000);
            assertInstanceOf(VmOutcome.PoweredOff.class, outcome, () -> "got " + outcome);
            assertEquals(new VmOutcome.PoweredOff("jvmm ctl shutdown --force (control socket)"), outcome);
        }
    }

    private static CliHarness ctl(Path sock, String... command) {
        List<String> args = new ArrayList<>(List.of("ctl", "--api-socket", sock.toString()));
        args.addAll(List.of(command));
        CliHarness r = CliHarness.run(args.toArray(String[]::new));
        assertEquals(0, r.exitCode(), String.join(" ", command) + ": " + r.err());
        return r;
    }

    /** Asks for status until the state is {@code state} (pause/resume take effect on the VM's thread). */
    private static boolean awaitState(Path sock, String state) throws InterruptedException {
        long end = System.nanoTime() + TestTime.seconds(10).toNanos();
        while (System.nanoTime() < end) {
            if (ctl(sock, "status").out().contains("\"state\" : \"" + state + "\"")) {
                return true;
            }
            Thread.sleep(20);
        }
        return false;
    }
}
