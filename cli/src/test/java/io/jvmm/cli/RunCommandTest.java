package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.testkit.RequiresKvm;
import io.jvmm.testkit.ScaledTimeout;
import io.jvmm.testkit.TestTime;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jvmm run}'s options that succeed, through real KVM (the bad values are in
 * {@link BadInputCatalogueTest}). The guest writes POST codes and powers off at once.
 */
@ScaledTimeout(120)
@RequiresKvm
class RunCommandTest {
    private static final String GUEST = PostCodePluginTest.GUEST.toString();

    @TempDir
    Path dir;

    private static CliHarness runQuietly(String... args) {
        InputStream in = System.in;
        try {
            System.setIn(new ByteArrayInputStream(new byte[0]));
            return CliHarness.run(args);
        } finally {
            System.setIn(in);
        }
    }

    @Test
    void firmwareThatPowersOffExitsZero() {
        VmHarness.kvm();
        CliHarness r = runQuietly("run", "--serial", "1=none", "--firmware", GUEST);
        assertEquals(0, r.exitCode(), r.err());
        // the guest writes SLP_TYP 0 with SLP_EN to the PM block (a base-chipset device, named by its id)
        assertEquals("jvmm: the guest powered off: hyperv_power_management was told to enter S5, soft off "
                + "(SLP_TYP 0 with SLP_EN)\n", r.err());
    }

    /**
     * A triple fault under --on-reset exit ends the run with exit code 0 and says so, with the RIP,
     * in one line on stderr; with --log that line still goes to stderr (it is the result, not a log).
     * In a child JVM: logging is configured once per JVM.
     */
    @Test
    void tripleFaultUnderOnResetExitSaysWhyOnStderr() throws Exception {
        VmHarness.kvm();
        Path image = ChipsetGuests.bin("triple").toAbsolutePath();
        byte[] bytes = Files.readAllBytes(image);
        byte[] ud2ThenX = {0x0f, 0x0b, (byte) 0xb0, 'X'}; // ud2; movb $'X', %al
        int offset = -1;
        for (int i = 0; i + ud2ThenX.length <= bytes.length && offset < 0; i++) {
            if (Arrays.equals(bytes, i, i + ud2ThenX.length, ud2ThenX, 0, ud2ThenX.length)) {
                offset = i;
            }
        }
        assertTrue(offset > 0, "the image holds the ud2");
        long rip = 0xFFFF_0000L + offset; // the faulting ud2, linked and running at the high ROM alias
        Path log = dir.resolve("jvmm.log");
        Path debug = dir.resolve("debug.log");
        JvmmProcess p = JvmmProcess.run(dir, TestTime.seconds(60), "run", "--serial", "1=none",
                "--debugcon", "0xe9=file=" + debug, "--on-reset", "exit", "--log", log.toString(),
                "--firmware", image.toString());
        assertEquals(0, p.exitCode(), p.err());
        // Intel VMX keeps the faulting RIP; AMD SVM has reset the vCPU by the time KVM reports it
        String at = p.err().contains("unknown") ? "at an unknown RIP" : "at RIP 0x" + Long.toHexString(rip);
        assertEquals("jvmm: the guest reset: vCPU 0 triple-faulted " + at + "\n", p.err());
        assertEquals("", p.out());
        assertEquals("B", Files.readString(debug), "booted once and stopped at the fault");
    }

    @Test
    void memoryCpusAndOnResetAreAccepted() {
        VmHarness.kvm();
        CliHarness r = runQuietly("run", "--serial", "1=none", "--firmware", GUEST, "--memory", "64M", "--cpus", "2",
                "--on-reset", "EXIT", "--hypervisor", "kvm");
        assertEquals(0, r.exitCode(), r.err());
    }

    @Test
    void comPortsToFilesAndDebugconToAFile() throws Exception {
        VmHarness.kvm();
        Path com1 = dir.resolve("com1.log");
        Path debug = dir.resolve("debug.log");
        CliHarness r = runQuietly("run", "--serial", "1=file=" + com1, "--serial", "2=none",
                "--debugcon", "0xe9=file=" + debug, "--battery", "50%", "--firmware", GUEST);
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(Files.exists(com1), "the file backend creates its file");
        assertTrue(Files.exists(debug));
    }

    @Test
    void apiSocketIsServedWhileRunningAndRemovedAfter() {
        VmHarness.kvm();
        Path socket = dir.resolve("vm.sock");
        CliHarness r = runQuietly("run", "--serial", "1=none", "--api-socket", socket.toString(), "--firmware", GUEST);
        assertEquals(0, r.exitCode(), r.err());
        assertFalse(Files.exists(socket), "the socket file is removed at exit");
    }

    @Test
    void profileLinesAreFormattedAsPrintfWouldWithoutItsFormatter() {
        for (double ms : new double[] {0, 0.04, 0.05, 1.25, 39.0, 123.456, 99999.95, 12345678.9, -0.3, -12.34}) {
            for (String phase : List.of("x", "process start → jvmm main", "a phase name longer than thirty-six characters")) {
                StringBuilder b = new StringBuilder();
                RunCommand.Profile.line(b, phase, ms);
                // HALF_UP on the decimal value, as Formatter does; Math.round on the double may differ
                // only in the last digit of a value that is not representable, which these are chosen not to hit
                assertEquals(String.format("  %-36s %8.1f ms%n", phase, ms), b.toString(), phase + " " + ms);
            }
        }
    }

    @Test
    void profilePrintsThePhaseTimingsInOrder() {
        VmHarness.kvm();
        CliHarness r = runQuietly("run", "--serial", "1=none", "--profile", "--firmware", GUEST);
        assertEquals(0, r.exitCode(), r.err());
        List<String> phases = List.of("process start → jvmm main", "command line parsed", "plugins and resolvers loaded",
                "manifest built", "devices resolved, payload checked", "hypervisor opened",
                "partition created, payload loaded", "first guest exit", "guest ended");
        assertTrue(r.err().startsWith("jvmm boot profile (since JVM start):\n"), r.err());
        double previous = -1;
        int at = 0;
        for (String phase : phases) {
            var m = Pattern.compile("  " + Pattern.quote(phase) + " +(\\d+\\.\\d) ms\n").matcher(r.err());
            assertTrue(m.find(at), phase + " in " + r.err());
            double ms = Double.parseDouble(m.group(1));
            assertTrue(ms >= previous, "phases are in time order: " + r.err());
            previous = ms;
            at = m.end();
        }
    }

    @Test
    void embeddedDemoGuestRunsWhenNoPayloadIsGiven() {
        VmHarness.kvm();
        InputStream in = System.in;
        PrintStream out = System.out;
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        CliHarness r;
        try {
            System.setIn(new ByteArrayInputStream("ok\r".getBytes(StandardCharsets.US_ASCII)));
            System.setOut(new PrintStream(console, true, StandardCharsets.US_ASCII));
            r = CliHarness.run("run", "--serial-wait-for-rts", "--memory", "32M");
        } finally {
            System.setIn(in);
            System.setOut(out);
        }
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(console.toString(StandardCharsets.US_ASCII).contains("you typed: ok"));
    }

    /** Logging is set up once per JVM, so --log is checked in a child JVM. */
    @Test
    void logGoesToTheFileNotToTheConsole() throws Exception {
        VmHarness.kvm();
        Path log = dir.resolve("jvmm.log");
        // at DEBUG the hypervisor logs the partition it created: something to look for
        JvmmProcess p = JvmmProcess.runWithProperties(dir, TestTime.seconds(60), List.of("-Djvmm.log.level=DEBUG"),
                "run", "--serial", "1=none", "--log", log.toString(), "--firmware", Path.of(GUEST).toAbsolutePath().toString());
        assertEquals(0, p.exitCode(), p.err());
        assertEquals("", p.out(), "nothing but the guest's console on stdout");
        assertFalse(p.err().contains("DEBUG"), "logs are not on stderr: " + p.err());
        String text = Files.readString(log);
        assertTrue(text.lines().anyMatch(l -> l.matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} DEBUG \\[main\\] KvmPartition: KVM partition: .*")),
                "the partition's DEBUG line is in the file: " + text);

        JvmmProcess without = JvmmProcess.runWithProperties(dir, TestTime.seconds(60), List.of("-Djvmm.log.level=DEBUG"),
                "run", "--serial", "1=none", "--firmware", Path.of(GUEST).toAbsolutePath().toString());
        assertEquals(0, without.exitCode(), without.err());
        assertTrue(without.err().contains("KvmPartition: KVM partition: "), "without --log the same line is on stderr: " + without.err());
    }
}
