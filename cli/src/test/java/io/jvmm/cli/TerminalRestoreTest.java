package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jvmm.testkit.RequiresKvm;
import io.jvmm.testkit.ScaledTimeout;
import io.jvmm.testkit.TestTime;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The console under a real pseudo-terminal: {@code script} runs {@code stty -g; jvmm run ...; stty -g}
 * and the two terminal settings must match, on a normal power-off and after Ctrl-A x. jvmm runs in
 * a child JVM on this test's module path (the packaged launcher does not exist yet when tests run).
 */
@ScaledTimeout(120)
@RequiresKvm
class TerminalRestoreTest {
    private static final Pattern STTY = Pattern.compile("(?m)^([0-9a-f]+(?::[0-9a-f]+){10,})\\r?$");

    @TempDir
    Path dir;

    static boolean hasScript() {
        try {
            Process p = new ProcessBuilder("script", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(TestTime.seconds(10).toMillis(), TimeUnit.MILLISECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The shell line script runs: settings, jvmm, its exit code, settings again. */
    private static String shellLine(String... jvmmArgs) {
        String java = JvmmProcess.command(List.of(), jvmmArgs).stream().map(TerminalRestoreTest::quote)
                .collect(Collectors.joining(" "));
        return "stty -g; " + java + "; echo \"jvmm-exit=$?\"; stty -g";
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    /** Runs the line under script; {@code typed} (if any) is sent once {@code after} appears. */
    private String underPty(String line, String after, byte[] typed) throws Exception {
        Path transcript = dir.resolve("pty.out");
        Process p = new ProcessBuilder("script", "-qec", line, "/dev/null").directory(dir.toFile())
                .redirectErrorStream(true).redirectOutput(transcript.toFile()).start();
        OutputStream keys = p.getOutputStream();
        try {
            if (typed != null) {
                long end = System.nanoTime() + TestTime.seconds(60).toNanos();
                while (!Files.readString(transcript, StandardCharsets.ISO_8859_1).contains(after)
                        && System.nanoTime() < end && p.isAlive()) {
                    Thread.sleep(20);
                }
                keys.write(typed);
                keys.flush();
            }
            if (!p.waitFor(TestTime.seconds(90).toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("script did not end: " + Files.readString(transcript, StandardCharsets.ISO_8859_1));
            }
        } finally {
            keys.close();
        }
        return Files.readString(transcript, StandardCharsets.ISO_8859_1);
    }

    private static void assertRestored(String transcript) {
        List<String> settings = new ArrayList<>();
        Matcher m = STTY.matcher(transcript);
        while (m.find()) {
            settings.add(m.group(1));
        }
        assertEquals(2, settings.size(), "two stty -g lines: " + transcript);
        assertEquals(settings.get(0), settings.get(1), "the terminal is as it was: " + transcript);
        assertTrue(transcript.contains("jvmm-exit=0"), transcript);
        assertFalse(transcript.contains("\tat "), transcript);
    }

    @Test
    void terminalIsRestoredAfterTheGuestPowersOff() throws Exception {
        VmHarness.kvm();
        assumeTrue(hasScript(), "util-linux 'script' is not installed: no pseudo-terminal to test with");
        String out = underPty(shellLine("run", "--firmware", PostCodePluginTest.GUEST.toAbsolutePath().toString()), null, null);
        assertTrue(out.contains("[jvmm] serial console on this terminal; Ctrl-A x quits"), "the console went raw: " + out);
        assertRestored(out);
    }

    @Test
    void terminalIsRestoredAfterCtrlAx() throws Exception {
        VmHarness.kvm();
        assumeTrue(hasScript(), "util-linux 'script' is not installed: no pseudo-terminal to test with");
        // the demo guest waits about 10 s for a line; Ctrl-A x ends it long before
        long start = System.nanoTime();
        String out = underPty(shellLine("run"), "type a line and press Enter", new byte[] {0x01, 'x'});
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
        assertTrue(out.contains("type a line and press Enter"), out);
        assertFalse(out.contains("you typed"), "the escape is not passed to the guest: " + out);
        assertFalse(out.contains("(no input)"), "quit before the guest gave up waiting (" + seconds + " s): " + out);
        assertRestored(out);
    }
}
