package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.testkit.RequiresKvm;
import io.jvmm.testkit.ScaledTimeout;
import io.jvmm.testkit.TestTime;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Debian kernel snapshotted at its busybox shell and continued by another process: {@code jvmm
 * ctl snapshot --stop} once /init has started the shell, then {@code jvmm run --restore} with COM1
 * in a new file, a command typed over the console, and its answer. The board has no virtio devices.
 */
@RequiresKvm(unmodifiedGuest = true)
class LinuxSnapshotKvmTest {
    private static final String READY = "JVMM-SHELL-READY";
    private static final List<String> INIT = LinuxGuest.init(
            "echo \"" + READY + "\"",
            "exec /bin/sh");

    @TempDir
    Path dir;

    /** With 2 vCPUs the application processor's state (idle in the kernel) is saved and restored too. */
    @ParameterizedTest(name = "{0} vCPU(s)")
    @ValueSource(ints = {1, 2})
    @ScaledTimeout(300)
    void linuxRestoredInANewProcessAnswersOverTheConsole(int vcpus) throws Exception {
        Path initrd = LinuxGuest.initramfs(dir, INIT, LinuxGuest.noFiles());
        Path snap = dir.resolve("snap");
        Path sock1 = dir.resolve("first.sock");
        AtomicReference<CliHarness> snapshot = new AtomicReference<>();
        LinuxGuest.Boot first = LinuxGuest.boot(dir, LinuxGuest.bzImage(), initrd, LinuxBootKvmTest.CMDLINE,
                List.of("--api-socket", sock1.toString(), "--on-reset", "exit", "--cpus", String.valueOf(vcpus)), READY,
                console -> {
                    snapshot.set(CliHarness.run("ctl", "--api-socket", sock1.toString(), "--timeout", "120",
                            "snapshot", snap.toString(), "--stop"));
                });
        assertTrue(first.console().contains(READY), "Linux did not reach the shell: " + first.why());
        CliHarness snapped = snapshot.get();
        assertEquals(0, snapped.exitCode(), snapped.err());
        System.out.println("Linux snapshot: " + snapped.out().replace('\n', ' '));
        assertEquals(0, first.run().exitCode(), first.why());
        assertTrue(first.run().err().contains("jvmm: stopped after snapshot to " + snap), first.run().err());

        Path com1 = dir.resolve("com1-restored.out");
        Path sock2 = dir.resolve("restored.sock");
        Path err = dir.resolve("restored.err");
        long start = System.nanoTime();
        Process p = new ProcessBuilder(JvmmProcess.command(List.of(), "run", "--restore", snap.toString(),
                "--serial", "1=file=" + com1, "--api-socket", sock2.toString()))
                .directory(dir.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(dir.resolve("restored.out").toFile()).redirectError(err.toFile()).start();
        try {
            SnapshotKvmTest.awaitSocket(sock2);
            CliHarness send = CliHarness.run("ctl", "--api-socket", sock2.toString(), "serial-send", "1",
                    // run on the last vCPU: with 2, the restored application processor must schedule it
                    "taskset -c " + (vcpus - 1) + " sh -c 'echo JVMM-ANSWER $((6 * 7)) cpus "
                            + "$(cat /sys/devices/system/cpu/online)'\n");
            assertEquals(0, send.exitCode(), send.err() + Files.readString(err));
            // the typed line is echoed as typed; only a shell that ran it prints 42
            String answer = "JVMM-ANSWER 42 cpus " + (vcpus == 1 ? "0" : "0-" + (vcpus - 1));
            String console = VmHarness.awaitFile(com1, t -> t.contains(answer), LinuxGuest.bootTimeout());
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("Linux restored and answered %.1f s after the process started%n", seconds);
            assertTrue(console.contains(answer), "the restored shell did not answer '" + answer + "': " + console
                    + "\nstderr: " + Files.readString(err));
            assertTrue(!console.contains("Linux version"), "the restored kernel booted again: " + console);
            CliHarness stop = CliHarness.run("ctl", "--api-socket", sock2.toString(), "shutdown", "--force");
            assertEquals(0, stop.exitCode(), stop.err());
            assertTrue(p.waitFor(TestTime.seconds(30).toMillis(), TimeUnit.MILLISECONDS));
            assertEquals(0, p.exitValue(), Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            if (p.isAlive()) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
