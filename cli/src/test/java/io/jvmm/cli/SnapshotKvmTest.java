package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.testkit.RequiresKvm;
import io.jvmm.testkit.ScaledTimeout;
import io.jvmm.testkit.TestTime;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Snapshot and restore through the CLI with real KVM, each side its own jvmm process: {@code jvmm
 * ctl snapshot PATH --stop} ends the first, {@code jvmm run --restore PATH} continues the guest in a
 * second. The guests (guests-chipset/snap_*.S) make the checks exact: a count over the 16550 with
 * no gap and no repeat, and bytes waiting in the UART's FIFO with their interrupt pending.
 */
@RequiresKvm
@ScaledTimeout(180)
class SnapshotKvmTest {
    private static final Duration WAIT = TestTime.seconds(60);
    private static final String BOOT = "counter: boot\n";

    @TempDir
    Path dir;

    /** A jvmm child process with its stderr in a file. */
    private record Child(Process process, Path err) {
        int awaitExit() throws Exception {
            if (!process.waitFor(WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(TestTime.seconds(10).toMillis(), TimeUnit.MILLISECONDS);
                throw new AssertionError("jvmm did not end; stderr: " + stderr());
            }
            return process.exitValue();
        }

        String stderr() throws IOException {
            return Files.readString(err, StandardCharsets.UTF_8);
        }

        void kill() throws InterruptedException {
            if (process.isAlive()) {
                process.destroyForcibly().waitFor(TestTime.seconds(10).toMillis(), TimeUnit.MILLISECONDS);
            }
        }
    }

    private Child start(String name, String... args) throws IOException {
        Path err = dir.resolve(name + ".err");
        Process p = new ProcessBuilder(JvmmProcess.command(List.of(), args)).directory(dir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(dir.resolve(name + ".out").toFile()).redirectError(err.toFile()).start();
        return new Child(p, err);
    }

    private static String guest(String name) {
        return ChipsetGuests.bin(name).toAbsolutePath().toString();
    }

    private static CliHarness ctl(Path sock, String... args) throws Exception {
        awaitSocket(sock);
        List<String> all = new ArrayList<>(List.of("ctl", "--api-socket", sock.toString(), "--timeout",
                String.valueOf(WAIT.toSeconds())));
        all.addAll(List.of(args));
        return CliHarness.run(all.toArray(String[]::new));
    }

    /**
     * Waits until a VM accepts connections at {@code sock}. The file alone is not enough: it appears
     * at bind(2), and a connect before the listen(2) that follows is refused (seen under load).
     */
    static void awaitSocket(Path sock) throws InterruptedException {
        long end = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < end) {
            if (ControlServer.isSocketFile(sock)) {
                try (java.nio.channels.SocketChannel probe = java.nio.channels.SocketChannel.open(
                        java.net.UnixDomainSocketAddress.of(sock))) {
                    return;
                } catch (IOException notListeningYet) {
                    // bound, not listening yet: try again
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no VM accepts connections at " + sock);
    }

    @Test
    void aCountOverTheSerialPortContinuesAfterRestoreWithNoGapAndNoRepeat() throws Exception {
        Path out1 = dir.resolve("com1-first.txt");
        Path out2 = dir.resolve("com1-restored.txt");
        Path snap = dir.resolve("snap");
        Path sock1 = dir.resolve("first.sock");
        Path sock2 = dir.resolve("restored.sock");
        Child first = start("first", "run", "--firmware", guest("snap_counter"), "--memory", "32M",
                "--serial", "1=file=" + out1, "--api-socket", sock1.toString());
        Child restored = null;
        try {
            String running = VmHarness.awaitFile(out1, t -> t.startsWith(BOOT) && t.length() > BOOT.length() + 9 * 200,
                    WAIT);
            assertTrue(running.length() > BOOT.length() + 9 * 200, "the guest counts: " + running);
            CliHarness snapshot = ctl(sock1, "snapshot", snap.toString(), "--stop");
            assertEquals(0, snapshot.exitCode(), snapshot.err());
            assertTrue(snapshot.out().contains("\"vm\" : \"stopped\""), snapshot.out());
            assertEquals(0, first.awaitExit(), first.stderr());
            assertTrue(first.stderr().contains("jvmm: stopped after snapshot to " + snap), first.stderr());
            for (String f : List.of("snapshot.json", "state.bin", "memory.bin", "payload/firmware.bin")) {
                assertTrue(Files.isRegularFile(snap.resolve(f)), f);
            }
            assertEquals(32L << 20, Files.size(snap.resolve("memory.bin")));

            restored = start("restored", "run", "--restore", snap.toString(), "--serial", "1=file=" + out2,
                    "--api-socket", sock2.toString());
            String after = VmHarness.awaitFile(out2, t -> t.length() > 9 * 200, WAIT);
            assertTrue(after.length() > 9 * 200, "the restored guest counts on: " + after + restored.stderr());
            assertFalse(after.startsWith("counter"), "a restored guest does not boot again: " + after);
            CliHarness stop = ctl(sock2, "shutdown", "--force");
            assertEquals(0, stop.exitCode(), stop.err());
            assertEquals(0, restored.awaitExit(), restored.stderr());

            String before = Files.readString(out1, StandardCharsets.US_ASCII);
            after = Files.readString(out2, StandardCharsets.US_ASCII);
            // The first process may have stopped mid-line: its last bytes and the restored run's first
            // ones make that line whole. Together they count 1, 2, 3, ... once each.
            String all = before + after;
            assertTrue(all.startsWith(BOOT), all.substring(0, Math.min(80, all.length())));
            String[] lines = all.substring(BOOT.length()).split("\n", -1);
            int complete = lines.length - 1;
            for (int i = 0; i < complete; i++) {
                assertEquals(String.format("%08x", i + 1), lines[i], "line " + (i + 1) + " of the count (the first "
                        + "process wrote " + before.length() + " bytes)");
            }
            int firstLines = before.substring(BOOT.length()).split("\n", -1).length - 1;
            assertTrue(firstLines >= 200 && complete > firstLines + 200, "both processes counted: " + firstLines
                    + " then " + (complete - firstLines));
        } finally {
            first.kill();
            if (restored != null) {
                restored.kill();
            }
        }
    }

    @Test
    void bytesInTheUartFifoWithTheirInterruptPendingArriveAfterRestore() throws Exception {
        Path out1 = dir.resolve("rx-first.txt");
        Path out2 = dir.resolve("rx-restored.txt");
        Path snap = dir.resolve("rxsnap");
        Path sock1 = dir.resolve("rx1.sock");
        Path sock2 = dir.resolve("rx2.sock");
        Child first = start("rx1", "run", "--firmware", guest("snap_rx"), "--memory", "32M",
                "--serial", "1=file=" + out1, "--serial", "2=file=" + dir.resolve("com2-first.txt"),
                "--api-socket", sock1.toString());
        Child restored = null;
        try {
            assertEquals("ready\n", VmHarness.awaitFile(out1, t -> t.equals("ready\n"), WAIT));
            CliHarness send = ctl(sock1, "serial-send", "1", "ping");
            assertEquals(0, send.exitCode(), send.err());
            // the guest saw the FIFO reach its 4-byte trigger level, with interrupts off
            assertEquals("ready\nrx pending\n", VmHarness.awaitFile(out1, t -> t.endsWith("rx pending\n"), WAIT));
            CliHarness snapshot = ctl(sock1, "snapshot", snap.toString(), "--stop");
            assertEquals(0, snapshot.exitCode(), snapshot.err());
            assertEquals(0, first.awaitExit(), first.stderr());
            assertEquals("ready\nrx pending\n", Files.readString(out1), "nothing after the snapshot");

            restored = start("rx2", "run", "--restore", snap.toString(), "--serial", "1=file=" + out2,
                    "--serial", "2=file=" + dir.resolve("com2-restored.txt"), "--api-socket", sock2.toString());
            CliHarness go = ctl(sock2, "serial-send", "2", "g");
            assertEquals(0, go.exitCode(), go.err());
            assertEquals(0, restored.awaitExit(), restored.stderr()); // the guest powers off when done
            assertEquals("go\nrx: ping\nirqs=1\n", Files.readString(out2),
                    "the FIFO's bytes came through the pending interrupt; stderr: " + restored.stderr());
        } finally {
            first.kill();
            if (restored != null) {
                restored.kill();
            }
        }
    }
}
