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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A `jvmm run` stopped by SIGTERM (what `timeout`, systemd and `kill` send) still says why it ended,
 * and its file backends hold what the guest wrote: the ticker guest runs forever, printing to the
 * debug console, until the test signals the process.
 */
@RequiresKvm
@ScaledTimeout(120)
class SignalEndingKvmTest {
    @TempDir
    Path dir;

    @Test
    void sigtermEndsTheRunWithItsCauseLineAndFlushedBackends() throws Exception {
        Path e9 = dir.resolve("e9.txt");
        Path err = dir.resolve("child.err");
        Process p = new ProcessBuilder(JvmmProcess.command(List.of(), "run", "--firmware",
                ChipsetGuests.DIR.resolve("ticker.bin").toAbsolutePath().toString(), "--memory", "32M",
                "--serial", "1=none", "--debugcon", "0xe9=file=" + e9))
                .directory(dir.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(dir.resolve("child.out").toFile()).redirectError(err.toFile()).start();
        try {
            // running: the boot marker and a few of its dots have reached the file
            String ticking = VmHarness.awaitFile(e9, t -> t.startsWith("B..."), TestTime.seconds(30));
            assertTrue(ticking.startsWith("B..."), ticking);
            p.destroy(); // SIGTERM
            assertTrue(p.waitFor(TestTime.seconds(20).toMillis(), TimeUnit.MILLISECONDS),
                    "jvmm did not end after SIGTERM");
        } finally {
            if (p.isAlive()) {
                p.destroyForcibly().waitFor(TestTime.seconds(10).toMillis(), TimeUnit.MILLISECONDS);
            }
        }
        String stderr = Files.readString(err, StandardCharsets.UTF_8);
        assertEquals(128 + 15, p.exitValue(), "the conventional status of a process ended by SIGTERM; " + stderr);
        List<String> jvmmLines = stderr.lines().filter(l -> l.startsWith("jvmm: ")).toList();
        assertEquals(1, jvmmLines.size(), "one cause line: " + stderr);
        assertTrue(jvmmLines.get(0).contains("jvmm was sent a termination signal"), stderr);
        String written = Files.readString(e9, StandardCharsets.US_ASCII);
        assertTrue(written.matches("B\\.+"), "the debug console's file holds the guest's output: " + written);
    }
}
