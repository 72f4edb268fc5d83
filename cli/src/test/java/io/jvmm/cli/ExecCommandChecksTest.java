package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jvmm exec}'s checks before it boots: --get targets, an EXEC too big for a frame. Exit 2, no stack trace. */
class ExecCommandChecksTest {
    @TempDir
    Path dir;

    private static void usage(CliHarness r, String... expected) {
        assertEquals(Main.USAGE, r.exitCode(), r.err());
        for (String e : expected) {
            assertTrue(r.err().contains(e), "'" + e + "' in: " + r.err());
        }
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
        assertFalse(r.err().contains("internal error"), r.err());
    }

    private String kernel() throws Exception {
        return Files.write(dir.resolve("vmlinuz-test"), new byte[] {1}).toString();
    }

    @Test
    void badGetTargetsAreFoundBeforeBooting() throws Exception {
        String k = kernel();
        Path missing = dir.resolve("no-such-dir/out.txt");
        usage(CliHarness.run("exec", "--kernel", k, "--get", "/tmp/x:" + missing, "--", "true"), "--get /tmp/x:",
                "no-such-dir", "does not exist", "mkdir -p");
        Path sub = Files.createDirectory(dir.resolve("sub"));
        usage(CliHarness.run("exec", "--kernel", k, "--get", "/tmp/x:" + sub, "--", "true"), "--get /tmp/x:",
                sub + " is a directory", "name the file");
    }

    @Test
    void anUnwritableGetDirectoryIsFoundBeforeBooting() throws Exception {
        String k = kernel();
        Path ro = Files.createDirectory(dir.resolve("ro"));
        Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            assumeTrue(!Files.isWritable(ro), "running as root: every directory is writable");
            usage(CliHarness.run("exec", "--kernel", k, "--get", "/tmp/x:" + ro.resolve("out"), "--", "true"),
                    "--get /tmp/x:", "is not writable");
        } finally {
            Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    @Test
    void anExecTooBigForAFrameIsAUsageError() throws Exception {
        List<String> args = new ArrayList<>(List.of("exec", "--kernel", kernel(), "--", "echo"));
        String big = "x".repeat(64 << 10);
        for (int i = 0; i < 17; i++) {
            args.add(big);
        }
        usage(CliHarness.run(args.toArray(String[]::new)), "EXEC", "more than a frame", "1 MiB");
    }

    @Test
    void modulesWithoutModulesDepNameTheOption() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/bin/busybox")), "needs /bin/busybox (the check comes first)");
        String k = kernel();
        Path empty = Files.createDirectories(dir.resolve("modules"));
        Path agent = Files.write(dir.resolve("agent"), new byte[] {0x7f, 'E', 'L', 'F'});
        String before = System.getProperty(ExecCommand.AGENT_PROPERTY);
        System.setProperty(ExecCommand.AGENT_PROPERTY, agent.toString());
        try {
            usage(CliHarness.run("exec", "--kernel", k, "--modules", empty.toString(), "--", "true"), "--modules",
                    empty + " (--modules) has no modules.dep");
            // no --modules, none beside the kernel nor in /lib/modules/test: the message names the option
            usage(CliHarness.run("exec", "--kernel", k, "--", "true"), "/lib/modules/test/modules.dep", "--modules DIR");
        } finally {
            if (before == null) {
                System.clearProperty(ExecCommand.AGENT_PROPERTY);
            } else {
                System.setProperty(ExecCommand.AGENT_PROPERTY, before);
            }
        }
    }
}
