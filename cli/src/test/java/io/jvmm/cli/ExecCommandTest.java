package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jvmm exec}'s bad input: exit 2 and a message naming the fix, never a stack trace; nothing boots. */
class ExecCommandTest {
    @TempDir
    Path dir;

    private static void usage(CliHarness r, String... expected) {
        assertEquals(Main.USAGE, r.exitCode(), r.err());
        for (String e : expected) {
            assertTrue(r.err().contains(e), "'" + e + "' in: " + r.err());
        }
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
    }

    @Test
    void aMissingCommandOrKernelIsAUsageError() throws Exception {
        usage(CliHarness.run("exec"), "no command", "after --");
        usage(CliHarness.run("exec", "--kernel", dir.resolve("nope").toString(), "--", "true"), "nope is not a file",
                "fetch-kernel.sh");
        if (System.getenv(ExecCommand.KERNEL_ENV) == null) {
            usage(CliHarness.run("exec", "--", "true"), "--kernel", ExecCommand.KERNEL_ENV, "fetch-kernel.sh");
        }
    }

    @Test
    void badOptionValuesAreUsageErrors() throws Exception {
        Path kernel = Files.write(dir.resolve("vmlinuz-test"), new byte[] {1});
        String k = kernel.toString();
        usage(CliHarness.run("exec", "--kernel", k, "--transport", "pigeon", "--", "true"), "--transport", "pigeon");
        usage(CliHarness.run("exec", "--kernel", k, "--timeout", "-1", "--", "true"), "--timeout");
        usage(CliHarness.run("exec", "--kernel", k, "--stdin", "maybe", "--", "true"), "--stdin");
        usage(CliHarness.run("exec", "--kernel", k, "--memory", "lots", "--", "true"), "--memory");
        usage(CliHarness.run("exec", "--kernel", k, "--memory", "16M", "--", "true"), "--memory 16M", "at least 32M");
        usage(CliHarness.run("exec", "--kernel", k, "--put", "nofile", "--", "true"), "--put", "HOST:GUEST");
        usage(CliHarness.run("exec", "--kernel", k, "--put", dir.resolve("missing") + ":/tmp/x", "--", "true"),
                "is not a readable file");
        usage(CliHarness.run("exec", "--kernel", k, "--get", "relative:out", "--", "true"), "--get");
        usage(CliHarness.run("exec", "--kernel", k, "--env", "NOEQUALS", "--", "true"), "KEY=VALUE");
        usage(CliHarness.run("exec", "--kernel", k, "--disk", dir.resolve("no.img").toString(), "--", "true"), "--disk");
    }

    @Test
    void aMissingAgentSaysHowToBuildIt() throws Exception {
        Path kernel = Files.write(dir.resolve("vmlinuz-test"), new byte[] {1});
        String before = System.getProperty(ExecCommand.AGENT_PROPERTY);
        System.setProperty(ExecCommand.AGENT_PROPERTY, dir.resolve("no-agent").toString());
        try {
            usage(CliHarness.run("exec", "--kernel", kernel.toString(), "--", "true"), "no-agent", "is not a file");
        } finally {
            if (before == null) {
                System.clearProperty(ExecCommand.AGENT_PROPERTY);
            } else {
                System.setProperty(ExecCommand.AGENT_PROPERTY, before);
            }
        }
    }

    @Test
    void helpListsTheOptions() {
        CliHarness r = CliHarness.run("exec", "--help");
        assertEquals(0, r.exitCode());
        for (String o : new String[] {"--kernel", "--timeout", "--put", "--get", "--profile", "--transport", "--stdin"}) {
            assertTrue(r.out().contains(o), o + " in " + r.out());
        }
    }
}
