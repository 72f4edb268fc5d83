package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jvmm.runtime.sandbox.Command;
import io.jvmm.runtime.sandbox.ExecResult;
import io.jvmm.runtime.sandbox.Sandbox;
import io.jvmm.runtime.sandbox.SandboxImage;
import io.jvmm.runtime.sandbox.SandboxSpec;
import io.jvmm.runtime.vm.VmOutcome;
import io.jvmm.testkit.RequiresKvm;
import io.jvmm.testkit.ScaledTimeout;
import io.jvmm.testkit.TestTime;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sandbox end to end on the unmodified Debian kernel: {@code jvmm-agent} (built here with gcc)
 * is PID 1 of the {@link SandboxImage} initramfs, Linux's own virtio-vsock driver carries the protocol, and
 * {@link Sandbox} drives it. One boot runs every check in one VM (exit codes, a signal, 1 MiB of
 * stdout and stderr interleaved, stdin, put/get with SHA-256, a timeout that kills {@code sleep
 * 1000}, 20 commands without a leak, and a clean close). Then {@code jvmm exec} as a process: over
 * the serial transport (COM2), exiting with its command's status; over vsock with --put, --get,
 * a read-only --disk and a --timeout (exit 124). And an image without the agent: "agent never ready" with the console,
 * nothing left behind. Four short boots (10-20 s each in the nested L1).
 */
@RequiresKvm(unmodifiedGuest = true)
class SandboxKvmTest {
    @TempDir
    Path dir;

    @Test
    @ScaledTimeout(200)
    void oneSandboxRunsEveryKindOfCommandAndClosesCleanly() throws Exception {
        Path kernel = LinuxGuest.bzImage();
        Path agent = buildAgent(dir);
        Path initramfs = image(kernel, agent);
        Set<String> threadsBefore = threadNames();
        long t0 = System.nanoTime();
        Map<String, Long> fdsBefore = fdKinds();
        SandboxSpec spec = SandboxSpec.builder(kernel, initramfs).cmdline(SandboxImage.commandLine("vsock:1024"))
                .readyTimeout(LinuxGuest.bootTimeout()).name("sbx").build();
        Sandbox sandbox = Sandbox.start(spec);
        VmOutcome outcome;
        try {
            System.out.printf("sandbox: agent ready after %.1f s (guest uptime %.2f s, kernel %s)%n",
                    sandbox.readyAfter().toNanos() / 1e9, sandbox.ready().uptimeNanos() / 1e9,
                    sandbox.ready().kernelRelease());
            assertEquals(1, sandbox.ready().version());
            String why = "\nconsole:\n" + sandbox.consoleTail();
            assertTrue(!sandbox.consoleTail().contains("jvmm-init: module not loaded"), "a module did not load" + why);

            // exit codes and a signal
            assertEquals(new ExecResult.Exited(0), sandbox.exec(Command.of("true")).ending(), why);
            ExecResult three = sandbox.exec(Command.of("sh", "-c", "echo out; echo err >&2; exit 3"));
            assertEquals(3, three.exitCode(), why);
            assertEquals("out\n", three.stdoutText());
            assertEquals("err\n", three.stderrText());
            assertEquals(new ExecResult.Signaled(9), sandbox.exec(Command.of("sh", "-c", "kill -9 $$")).ending());
            ExecResult missing = sandbox.exec(Command.of("/bin/jvmm-no-such-program"));
            assertEquals(127, missing.exitCode());
            assertEquals(2, assertInstanceOf(ExecResult.NotStarted.class, missing.ending()).errno());

            // put, then 1 MiB on each stream at once, then get with checksums
            byte[] a = random(1 << 20, 1);
            byte[] b = random(1 << 20, 2);
            sandbox.put(a, "/tmp/a", 0644);
            sandbox.put(b, "/tmp/b", 0600);
            assertEquals(sha256(a) + "  /tmp/a", sandbox.exec(Command.of("sha256sum", "/tmp/a")).stdoutText().strip(),
                    "the guest's own checksum of what was put");
            long s0 = System.nanoTime();
            ExecResult both = sandbox.exec(Command.of("sh", "-c", "cat /tmp/a & cat /tmp/b >&2; wait"));
            double streamSeconds = (System.nanoTime() - s0) / 1e9;
            assertEquals(0, both.exitCode());
            assertEquals(sha256(a), sha256(both.stdout()), "stdout, 1 MiB");
            assertEquals(sha256(b), sha256(both.stderr()), "stderr, 1 MiB");
            assertEquals(sha256(b), sha256(sandbox.get("/tmp/b", 1 << 20)), "get returns what put wrote");
            assertEquals("600", sandbox.exec(Command.of("stat", "-c", "%a", "/tmp/b")).stdoutText().strip());

            // stdin
            byte[] in = random((1 << 20) + 3, 3);
            ExecResult cat = sandbox.exec(Command.of("cat").withStdin(new ByteArrayInputStream(in)));
            assertEquals(sha256(in), sha256(cat.stdout()), "stdin passed through");

            // a timeout kills sleep 1000, and nothing of it is left
            long k0 = System.nanoTime();
            ExecResult slept = sandbox.exec(Command.of("sleep", "1000").withTimeout(Duration.ofSeconds(2)));
            double killSeconds = (System.nanoTime() - k0) / 1e9;
            assertTrue(slept.timedOut());
            assertEquals(new ExecResult.Signaled(9), slept.ending());
            assertTrue(killSeconds < TestTime.seconds(30).toSeconds(), "killed soon after its timeout: " + killSeconds);
            assertEquals(1, sandbox.exec(Command.of("pidof", "sleep")).exitCode(), "no sleep is left");

            // 20 commands in a row: the agent's fds and our threads stay flat
            String fds0 = agentFds(sandbox);
            int threads0 = Thread.activeCount();
            for (int i = 0; i < 20; i++) {
                ExecResult r = sandbox.exec(Command.of("sh", "-c", "echo " + i + "; exit " + (i % 7))
                        .withStdin(new ByteArrayInputStream(new byte[10])).withTimeout(Duration.ofSeconds(60)));
                assertEquals(i % 7, r.exitCode());
                assertEquals(i + "\n", r.stdoutText());
            }
            assertEquals(fds0, agentFds(sandbox), "the agent's open fds (ls /proc/1/fd)");
            assertTrue(Thread.activeCount() <= threads0, "host threads: " + Thread.activeCount() + " > " + threads0);
            assertTrue(sandbox.ping(new byte[] {1, 2, 3}).length == 3);
            System.out.printf("sandbox: 2 MiB interleaved in %.2f s; sleep killed %.2f s after start%n",
                    streamSeconds, killSeconds);
        } finally {
            outcome = sandbox.closeAndWait();
        }
        System.out.printf("sandbox: closed after %.1f s in all: %s%n", (System.nanoTime() - t0) / 1e9,
                outcome == null ? "(no outcome)" : outcome.summary());
        assertInstanceOf(VmOutcome.PoweredOff.class, outcome, "SHUTDOWN powers the guest off\n" + sandbox.consoleTail());
        assertTrue(sandbox.consoleTail().contains("reboot: Power down"), sandbox.consoleTail());
        assertTrue(!sandbox.isRunning());
        Set<String> left = threadNames();
        left.removeAll(threadsBefore);
        left.removeIf(n -> !n.startsWith("sbx") && !n.startsWith("jvmm-sandbox"));
        assertEquals(Set.of(), left, "no thread of the sandbox is left");
        try (var tmp = Files.list(Path.of("/tmp"))) {
            List<Path> sockets = tmp.filter(p -> p.getFileName().toString().startsWith("jvmm-sandbox")).toList();
            assertEquals(List.of(), sockets, "no socket directory is left");
        }
        assertEquals(fdsBefore, fdKinds(), "no socket, pipe, KVM or event fd of the sandbox is left open");
    }

    @Test
    @ScaledTimeout(200)
    void jvmmExecOverTheSerialTransportExitsWithTheCommandsStatus() throws Exception {
        Path kernel = LinuxGuest.bzImage();
        Path agent = buildAgent(dir);
        assumeTrue(kernel.getFileName().toString().startsWith("vmlinuz-"),
                "jvmm exec finds the modules beside a kernel named vmlinuz-RELEASE (fetch-kernel.sh's layout)");
        long t0 = System.nanoTime();
        JvmmProcess run = JvmmProcess.runWithProperties(dir, LinuxGuest.bootTimeout().plusSeconds(60),
                List.of("-Djvmm.sandbox.agent=" + agent), "exec", "--kernel", kernel.toString(), "--transport", "serial",
                "--ready-timeout", Long.toString(LinuxGuest.bootTimeout().toSeconds()), "--profile", "--",
                "sh", "-c", "echo hello from $(uname -r); echo to-stderr >&2; exit 3");
        System.out.printf("jvmm exec (serial): exit %d after %.1f s%n  stdout: %s%n  stderr: %s%n", run.exitCode(),
                (System.nanoTime() - t0) / 1e9, run.out().strip(), run.err().strip());
        assertEquals(3, run.exitCode(), "the command's status: " + run.err());
        assertTrue(run.out().startsWith("hello from "), run.out());
        assertTrue(run.err().contains("to-stderr"), run.err());
        assertTrue(run.err().contains("agent ready"), "--profile lists the phases up to agent ready: " + run.err());
    }

    @Test
    @ScaledTimeout(200)
    void jvmmExecWithADiskTimesOutWithExit124AndStillCopiesFilesInAndOut() throws Exception {
        Path kernel = LinuxGuest.bzImage();
        Path agent = buildAgent(dir);
        assumeTrue(kernel.getFileName().toString().startsWith("vmlinuz-"),
                "jvmm exec finds the modules beside a kernel named vmlinuz-RELEASE (fetch-kernel.sh's layout)");
        byte[] input = random(200_000, 7);
        Path in = Files.write(dir.resolve("in.bin"), input);
        Path out = dir.resolve("out.txt");
        byte[] diskBytes = random(1 << 20, 8);
        Path disk = Files.write(dir.resolve("disk.img"), diskBytes);
        long t0 = System.nanoTime();
        JvmmProcess run = JvmmProcess.runWithProperties(dir, LinuxGuest.bootTimeout().plusSeconds(60),
                List.of("-Djvmm.sandbox.agent=" + agent), "exec", "--kernel", kernel.toString(),
                "--ready-timeout", Long.toString(LinuxGuest.bootTimeout().toSeconds()), "--timeout", "3",
                "--put", in + ":/tmp/in.bin", "--get", "/tmp/sum:" + out, "--disk", disk + ",ro", "--",
                "sh", "-c", "sha256sum /tmp/in.bin > /tmp/sum; sha256sum /dev/vda >> /tmp/sum; echo started; sleep 1000");
        System.out.printf("jvmm exec --timeout 3 (vsock): exit %d after %.1f s%n  stdout: %s%n  stderr: %s%n",
                run.exitCode(), (System.nanoTime() - t0) / 1e9, run.out().strip(), run.err().strip());
        assertEquals(ExecCommand.TIMED_OUT, run.exitCode(), run.err());
        assertTrue(run.err().contains("jvmm exec: timed out after 3 s"), run.err());
        assertEquals("started\n", run.out());
        assertEquals(sha256(input) + "  /tmp/in.bin\n" + sha256(diskBytes) + "  /dev/vda", Files.readString(out).strip(),
                "--put went in before the command, --disk is vda, --get came out after the timeout");
    }

    @Test
    @ScaledTimeout(120)
    void anAgentThatNeverComesIsReportedWithTheConsoleAndLeavesNothing() throws Exception {
        Path kernel = LinuxGuest.bzImage();
        Path initramfs = LinuxGuest.initramfs(dir, LinuxGuest.init("echo 'JVMM-FACT no agent in this image'",
                "sleep 1000"), LinuxGuest.noFiles());
        Set<String> threadsBefore = threadNames();
        Map<String, Long> fdsBefore = fdKinds();
        Duration ready = TestTime.seconds(8);
        SandboxSpec spec = SandboxSpec.builder(kernel, initramfs).cmdline("console=ttyS0 panic=-1 nokaslr")
                .readyTimeout(ready).name("nosbx").build();
        long t0 = System.nanoTime();
        io.jvmm.runtime.sandbox.SandboxException e = org.junit.jupiter.api.Assertions.assertThrows(
                io.jvmm.runtime.sandbox.SandboxException.class, () -> Sandbox.start(spec));
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf("no agent: SandboxException after %.1f s: %s%n", seconds,
                e.getMessage().lines().findFirst().orElse(""));
        assertTrue(e.getMessage().startsWith("agent never ready within " + ready.toSeconds() + " s"), e.getMessage());
        int at = e.getMessage().indexOf("console tail:\n");
        assertTrue(at > 0 && !e.getMessage().substring(at + "console tail:\n".length()).isBlank(),
                "the message ends with the console's tail: " + e.getMessage());
        Set<String> left = threadNames();
        left.removeAll(threadsBefore);
        left.removeIf(n -> !n.startsWith("nosbx") && !n.startsWith("jvmm-sandbox"));
        assertEquals(Set.of(), left, "no thread of the sandbox is left");
        assertEquals(fdsBefore, fdKinds(), "no fd of the sandbox is left");
        try (var tmp = Files.list(Path.of("/tmp"))) {
            assertEquals(List.of(), tmp.filter(p -> p.getFileName().toString().startsWith("jvmm-sandbox")).toList());
        }
    }

    /** The sandbox image (SandboxImage: busybox, the kernel's virtio/vsock modules, the agent as PID 1). */
    private Path image(Path kernel, Path agent) throws IOException {
        assumeTrue(kernel.getFileName().toString().startsWith("vmlinuz-"),
                "the sandbox image finds the modules beside a kernel named vmlinuz-RELEASE (fetch-kernel.sh's layout)");
        Path initramfs = dir.resolve("sandbox.cpio");
        SandboxImage.assemble(SandboxImage.Sources.forKernel(kernel, agent), initramfs);
        return initramfs;
    }

    /** Builds agent/jvmm-agent.c with {@code gcc -static}, or skips naming what is missing. */
    static Path buildAgent(Path dir) throws IOException, InterruptedException {
        return LinuxGuest.staticProgram("../agent/jvmm-agent.c", dir, "sandbox test");
    }

    private static String agentFds(Sandbox sandbox) throws Exception {
        return sandbox.exec(Command.of("sh", "-c", "ls /proc/1/fd | wc -l")).stdoutText().strip();
    }

    /** This process's open fds that a VM or its transport would hold, counted by kind (socket, pipe, anon_inode:NAME). */
    private static Map<String, Long> fdKinds() throws IOException {
        Map<String, Long> kinds = new java.util.TreeMap<>();
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : fds.toList()) {
                String target;
                try {
                    target = Files.readSymbolicLink(fd).toString();
                } catch (IOException gone) {
                    continue; // the directory stream's own fd, closed by now
                }
                String kind = target.startsWith("socket:") ? "socket" : target.startsWith("pipe:") ? "pipe"
                        : target.startsWith("anon_inode:") ? target : target.startsWith("/dev/kvm") ? "/dev/kvm" : null;
                if (kind != null) {
                    kinds.merge(kind, 1L, Long::sum);
                }
            }
        }
        return kinds;
    }

    private static Set<String> threadNames() {
        return Thread.getAllStackTraces().keySet().stream().map(Thread::getName).collect(Collectors.toSet());
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static String sha256(byte[] b) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}
