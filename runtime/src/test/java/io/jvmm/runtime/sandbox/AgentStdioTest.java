package io.jvmm.runtime.sandbox;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jvmm.testkit.ScaledTimeout;
import io.jvmm.testkit.TestTime;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real agent ({@code agent/jvmm-agent.c}, built with gcc here) in its {@code --stdio} test
 * mode, driven by {@link AgentConnection} over the process's pipes: no KVM, the host's own
 * {@code sh}, {@code cat} and {@code sleep} as the commands.
 */
class AgentStdioTest {
    static final Path SOURCE = Path.of("../agent/jvmm-agent.c").toAbsolutePath().normalize();

    @TempDir
    static Path buildDir;

    static Path agentBinary;

    /** The agent built with AddressSanitizer (dynamically linked: static ASan does not work), or null. */
    static Path asanBinary;
    static String asanUnavailable;

    @TempDir
    Path dir;

    Process process;
    AgentConnection agent;

    @BeforeAll
    static void buildAgent() throws Exception {
        agentBinary = build(buildDir);
        buildAsan(buildDir);
    }

    /** {@code agent/build.sh --asan}'s build; when gcc cannot, the ASan checks are skipped with its log. */
    static void buildAsan(Path into) throws IOException, InterruptedException {
        Path out = into.resolve("jvmm-agent-asan");
        Process gcc = new ProcessBuilder("gcc", "-fsanitize=address", "-fno-omit-frame-pointer", "-g", "-O1", "-Wall",
                "-Wextra", "-Werror", "-o", out.toString(), SOURCE.toString()).redirectErrorStream(true).start();
        String log = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (gcc.waitFor(TestTime.seconds(120).toMillis(), TimeUnit.MILLISECONDS) && gcc.exitValue() == 0) {
            asanBinary = out;
        } else {
            gcc.destroyForcibly();
            asanUnavailable = "gcc -fsanitize=address failed: " + log;
        }
    }

    /** An agent process on its pipes (ASan's report goes to stderr, which the test inherits). */
    static Process startAgent(Path binary) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(binary.toString(), "--stdio").redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().put("ASAN_OPTIONS", "detect_leaks=0:abort_on_error=0");
        return pb.start();
    }

    /** Builds the agent with {@code gcc -static}, or skips the test naming what is missing. */
    static Path build(Path into) throws IOException, InterruptedException {
        assertTrue(Files.isRegularFile(SOURCE), "the agent's source " + SOURCE);
        Path out = into.resolve("jvmm-agent");
        Process gcc;
        try {
            gcc = new ProcessBuilder("gcc", "-static", "-Os", "-Wall", "-Wextra", "-Werror", "-o", out.toString(), SOURCE.toString())
                    .redirectErrorStream(true).start();
        } catch (IOException e) {
            assumeTrue(false, "agent tests SKIPPED: no gcc (apt-get install gcc libc6-dev)");
            throw e;
        }
        String log = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(gcc.waitFor(TestTime.seconds(120).toMillis(), TimeUnit.MILLISECONDS) && gcc.exitValue() == 0,
                "gcc -static jvmm-agent.c: " + log);
        return out;
    }

    @BeforeEach
    void startAgent() throws IOException {
        process = new ProcessBuilder(agentBinary.toString(), "--stdio")
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        agent = new AgentConnection(process.getInputStream(), process.getOutputStream(), () -> {
            process.getOutputStream().close();
            process.getInputStream().close();
        });
        Message.Ready r = agent.awaitReady();
        assertEquals(1, r.version());
        assertFalse(r.kernelRelease().isEmpty(), "READY names the kernel release");
    }

    @AfterEach
    void stopAgent() throws InterruptedException {
        agent.close();
        if (!process.waitFor(TestTime.seconds(10).toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }

    static String sha256(byte[] b) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    @ScaledTimeout(60)
    void exitCodesSignalsAndExecErrors() throws IOException {
        ExecResult ok = agent.exec(Command.of("true"));
        assertEquals(new ExecResult.Exited(0), ok.ending());
        assertEquals(0, ok.exitCode());
        ExecResult three = agent.exec(Command.of("sh", "-c", "echo out; echo err >&2; exit 3"));
        assertEquals(3, three.exitCode());
        assertEquals("out\n", three.stdoutText());
        assertEquals("err\n", three.stderrText());
        ExecResult signaled = agent.exec(Command.of("sh", "-c", "kill -TERM $$"));
        assertEquals(new ExecResult.Signaled(15), signaled.ending());
        assertEquals(128 + 15, signaled.exitCode());
        ExecResult missing = agent.exec(Command.of("/nonexistent/jvmm-nope"));
        ExecResult.NotStarted ns = assertInstanceOf(ExecResult.NotStarted.class, missing.ending());
        assertEquals(2, ns.errno());
        assertTrue(ns.message().contains("execve /nonexistent/jvmm-nope"), ns.message());
        assertEquals(127, missing.exitCode());
        assertEquals(127, agent.exec(Command.of("jvmm-no-such-program-on-path")).exitCode(), "PATH lookup, ENOENT");
        ExecResult noDir = agent.exec(Command.of("true").withCwd("/nonexistent-dir"));
        assertEquals(127, noDir.exitCode(), "a missing cwd is an ERROR with ENOENT too (the doc's rule): " + noDir.ending());
        assertTrue(((ExecResult.NotStarted) noDir.ending()).message().contains("chdir"));
        Path plain = Files.writeString(dir.resolve("plain"), "not a program");
        ExecResult notExecutable = agent.exec(Command.of(plain.toString()));
        assertEquals(126, notExecutable.exitCode(), "EACCES: " + notExecutable.ending());
        // the environment is the command's own, and PATH is looked up in it
        ExecResult env = agent.exec(Command.of("sh", "-c", "echo \"$JVMM_X\"").withEnvEntry("JVMM_X=hello"));
        assertEquals("hello\n", env.stdoutText());
        assertEquals("/tmp\n", agent.exec(Command.of("pwd").withCwd("/tmp")).stdoutText());
        assertArrayEquals(new byte[] {7, 8}, agent.ping(new byte[] {7, 8}));
    }

    @Test
    @ScaledTimeout(120)
    void oneMebibyteOnStdoutAndStderrInterleavedArrivesWhole() throws Exception {
        byte[] a = random(1 << 20, 1);
        byte[] b = random(1 << 20, 2);
        Path fa = dir.resolve("a");
        Path fb = dir.resolve("b");
        Files.write(fa, a);
        Files.write(fb, b);
        // both streams written at once, by two processes: their frames interleave
        Command c = Command.of("sh", "-c", "cat " + fa + " & cat " + fb + " >&2; wait");
        ExecResult captured = agent.exec(c);
        assertEquals(0, captured.exitCode());
        assertEquals(sha256(a), sha256(captured.stdout()), "stdout");
        assertEquals(sha256(b), sha256(captured.stderr()), "stderr");
        // streamed, to a slow reader: backpressure, nothing lost
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        OutputStream slow = new OutputStream() {
            int calls;

            @Override
            public void write(int x) {
                out.write(x);
            }

            @Override
            public void write(byte[] d, int off, int len) {
                if (++calls % 8 == 0) {
                    java.util.concurrent.locks.LockSupport.parkNanos(1_000_000); // a slow consumer: the agent must wait, not drop
                }
                out.write(d, off, len);
            }
        };
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ExecResult streamed = agent.exec(c, slow, err);
        assertEquals(0, streamed.exitCode());
        assertEquals(0, streamed.stdout().length, "streamed output is not captured as well");
        assertEquals(sha256(a), sha256(out.toByteArray()));
        assertEquals(sha256(b), sha256(err.toByteArray()));
    }

    @Test
    @ScaledTimeout(60)
    void stdinIsPassedThrough() throws Exception {
        byte[] in = random((1 << 20) + 17, 3);
        ExecResult r = agent.exec(Command.of("cat").withStdin(new ByteArrayInputStream(in)));
        assertEquals(0, r.exitCode());
        assertEquals(sha256(in), sha256(r.stdout()));
        // a command that does not read its stdin still ends; the next command is not disturbed
        ExecResult ignored = agent.exec(Command.of("true").withStdin(new ByteArrayInputStream(random(300_000, 4))));
        assertEquals(0, ignored.exitCode());
        assertEquals("5\n", agent.exec(Command.of("wc", "-c").withStdin(new ByteArrayInputStream("hello".getBytes())))
                .stdoutText().strip() + "\n");
        assertEquals("", agent.exec(Command.of("cat")).stdoutText(), "no stdin: /dev/null");
    }

    @Test
    @ScaledTimeout(60)
    void filesRoundTripWithTheirChecksumAndLimits() throws Exception {
        byte[] data = random(3 * (1 << 20) + 5, 5);
        String guest = dir.resolve("sub-put").toString();
        assertEquals(data.length, agent.put(new ByteArrayInputStream(data), data.length, guest, 0640));
        assertEquals(sha256(data), sha256(Files.readAllBytes(Path.of(guest))));
        assertEquals("640", agent.exec(Command.of("stat", "-c", "%a", guest)).stdoutText().strip());
        ByteArrayOutputStream back = new ByteArrayOutputStream();
        assertEquals(data.length, agent.get(guest, data.length, back));
        assertEquals(sha256(data), sha256(back.toByteArray()));
        // an empty file
        assertEquals(0, agent.put(InputStream.nullInputStream(), 0, guest + "-empty", 0600));
        assertEquals(0, Files.size(Path.of(guest + "-empty")));
        // over the limit: refused before any data, with EFBIG
        AgentErrorException big = assertThrows(AgentErrorException.class,
                () -> agent.get(guest, data.length - 1, new ByteArrayOutputStream()));
        assertEquals(27, big.errno(), big.getMessage());
        assertTrue(big.getMessage().contains("more than the limit"), big.getMessage());
        AgentErrorException missing = assertThrows(AgentErrorException.class,
                () -> agent.get(dir.resolve("nope").toString(), 10, new ByteArrayOutputStream()));
        assertEquals(2, missing.errno());
        AgentErrorException isDir = assertThrows(AgentErrorException.class,
                () -> agent.get(dir.toString(), 10, new ByteArrayOutputStream()));
        assertEquals(21, isDir.errno());
        // a write into a missing directory: ERROR before the data, which the agent then ignores
        AgentErrorException noDir = assertThrows(AgentErrorException.class, () -> agent.put(
                new ByteArrayInputStream(data), data.length, dir.resolve("no/such/f").toString(), 0644));
        assertEquals(2, noDir.errno());
        assertEquals(0, agent.exec(Command.of("true")).exitCode(), "the connection carries on after the ERROR");
        try (var files = Files.list(dir)) {
            assertEquals(List.of("sub-put", "sub-put-empty"), files.map(p -> p.getFileName().toString()).sorted().toList(),
                    "no temporary file is left");
        }
    }

    @Test
    @ScaledTimeout(60)
    void aSourceThatFailsMidPutClosesTheConnectionAndLeavesNoTemporaryFile() throws Exception {
        InputStream failing = new InputStream() {
            int given;

            @Override
            public int read() throws IOException {
                if (given++ >= 100_000) {
                    throw new IOException("disk went away");
                }
                return 'x';
            }
        };
        SandboxException e = assertThrows(SandboxException.class,
                () -> agent.put(failing, 300_000, dir.resolve("half").toString(), 0644));
        assertTrue(e.getMessage().contains("disk went away"), e.getMessage());
        assertFalse(agent.isOpen(), "the agent waits for bytes that will not come: the connection is given up");
        assertTrue(process.waitFor(TestTime.seconds(10).toMillis(), TimeUnit.MILLISECONDS), "the agent ends at EOF");
        try (var files = Files.list(dir)) {
            assertEquals(List.of(), files.toList(), "neither the file nor its temporary is left");
        }
        assertThrows(SandboxException.class, () -> agent.ping(new byte[1]), "a closed connection refuses requests");
    }

    @Test
    @ScaledTimeout(60)
    void aTimeoutKillsTheCommandAndAnOutputFloodIsCut() throws IOException {
        long t0 = System.nanoTime();
        ExecResult r = agent.exec(Command.of("sh", "-c", "sleep 1000; echo never").withTimeout(Duration.ofSeconds(1)));
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertTrue(r.timedOut());
        assertEquals(new ExecResult.Signaled(9), r.ending(), "SIGKILL to the process group");
        assertTrue(seconds < TestTime.seconds(10).toSeconds(), "ended soon after the timeout: " + seconds + " s");
        // a command that closed its output (so the agent waits for its exit, not for EOF) is still killed
        ExecResult closed = agent.exec(Command.of("sh", "-c", "exec >&- 2>&-; sleep 1000").withTimeout(Duration.ofSeconds(1)));
        assertTrue(closed.timedOut());
        assertEquals(new ExecResult.Signaled(9), closed.ending());
        ExecResult flood = agent.exec(Command.of("sh", "-c", "while :; do cat /proc/self/maps; done")
                .withOutputLimit(1 << 20));
        assertTrue(flood.outputLimitHit());
        assertTrue(flood.stdout().length <= 1 << 20);
        assertEquals(new ExecResult.Signaled(9), flood.ending());
        assertEquals(0, agent.exec(Command.of("true")).exitCode());
    }

    @Test
    @ScaledTimeout(120)
    void twentyCommandsInARowLeakNeitherFdsNorThreads() throws Exception {
        agent.exec(Command.of("true").withStdin(new ByteArrayInputStream(new byte[1])).withTimeout(Duration.ofSeconds(30)));
        long fds0 = fdCount(process.pid());
        int threads0 = Thread.activeCount();
        for (int i = 0; i < 20; i++) {
            ExecResult r = agent.exec(Command.of("sh", "-c", "echo " + i + "; exit " + (i % 5))
                    .withStdin(new ByteArrayInputStream(new byte[100])).withTimeout(Duration.ofSeconds(30)));
            assertEquals(i % 5, r.exitCode());
            assertEquals(i + "\n", r.stdoutText());
        }
        assertEquals(fds0, fdCount(process.pid()), "the agent's open fds");
        assertTrue(Thread.activeCount() <= threads0, "no exec thread is left: " + Thread.activeCount() + " > " + threads0);
    }

    @Test
    @ScaledTimeout(60)
    void shutdownEndsTheTestModeAgentAndAMalformedFrameEndsItWithAnError() throws Exception {
        agent.shutdown();
        assertTrue(process.waitFor(TestTime.seconds(10).toMillis(), TimeUnit.MILLISECONDS));
        assertEquals(0, process.exitValue());

        Process p = new ProcessBuilder(agentBinary.toString(), "--stdio").redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        try {
            assertEquals(Message.READY, FrameCodec.read(p.getInputStream()).type());
            p.getOutputStream().write(FrameCodecTest.frame(0x55, new byte[0]));
            p.getOutputStream().flush();
            Message m = FrameCodec.read(p.getInputStream());
            Message.ErrorReply e = assertInstanceOf(Message.ErrorReply.class, m);
            assertTrue(e.message().contains("0x55"), e.message());
            assertTrue(p.waitFor(TestTime.seconds(10).toMillis(), TimeUnit.MILLISECONDS));
            assertEquals(2, p.exitValue());
        } finally {
            p.destroyForcibly();
        }
    }

    /**
     * The transport the sandbox uses for vsock: a blocking SocketChannel through {@link ChannelStreams}
     * (here a Unix socket pair bridged to the agent's pipes). Stdin is written while the reader is
     * blocked in a read, which the JDK 17 channel streams would deadlock on.
     */
    @Test
    @ScaledTimeout(60)
    void overASocketChannelStdinFlowsWhileTheReaderWaits() throws Exception {
        Path sock = Files.createTempDirectory(Path.of("/tmp"), "jvmm-agent-test").resolve("s");
        try (java.nio.channels.ServerSocketChannel server = java.nio.channels.ServerSocketChannel.open(
                java.net.StandardProtocolFamily.UNIX)) {
            server.bind(java.net.UnixDomainSocketAddress.of(sock));
            java.nio.channels.SocketChannel hostEnd = java.nio.channels.SocketChannel.open(
                    java.net.UnixDomainSocketAddress.of(sock));
            java.nio.channels.SocketChannel agentEnd = server.accept();
            Process p = new ProcessBuilder(agentBinary.toString(), "--stdio").redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
            Thread toAgent = new Thread(() -> copy(ChannelStreams.input(agentEnd), p.getOutputStream()), "to-agent");
            Thread fromAgent = new Thread(() -> copy(p.getInputStream(), ChannelStreams.output(agentEnd)), "from-agent");
            toAgent.start();
            fromAgent.start();
            AgentConnection c = new AgentConnection(new java.io.BufferedInputStream(ChannelStreams.input(hostEnd)),
                    new java.io.BufferedOutputStream(ChannelStreams.output(hostEnd)), hostEnd);
            try {
                c.awaitReady();
                byte[] in = random(300_000, 9);
                // the command waits for its input: the host's reader is blocked while the stdin thread writes
                ExecResult r = c.exec(Command.of("sh", "-c", "sleep 0.2; cat").withStdin(new ByteArrayInputStream(in))
                        .withTimeout(Duration.ofSeconds(30)));
                assertEquals(sha256(in), sha256(r.stdout()));
                ExecResult killed = c.exec(Command.of("sleep", "1000").withTimeout(Duration.ofMillis(300)));
                assertTrue(killed.timedOut(), "KILL was written while the reader waited");
                c.shutdown();
                assertTrue(p.waitFor(TestTime.seconds(10).toMillis(), TimeUnit.MILLISECONDS));
            } finally {
                c.close();
                agentEnd.close();
                p.destroyForcibly().waitFor();
                toAgent.join(TestTime.seconds(10).toMillis());
                fromAgent.join(TestTime.seconds(10).toMillis());
                Files.deleteIfExists(sock);
                Files.deleteIfExists(sock.getParent());
            }
        }
    }

    /**
     * PATH search: an empty entry means "./", one byte longer than the entry; a name that just fits
     * without it must not overflow the path buffer (PATH_MAX). The ASan build shows the overflow
     * in the child (its report arrives as the command's stderr).
     */
    @Test
    @ScaledTimeout(60)
    void anEmptyPathEntryWithALongNameIsENOENTWithoutOverflow() throws Exception {
        Command longName = Command.of("a".repeat(4094)).withEnvEntry("PATH=:/bin");
        ExecResult plain = agent.exec(longName);
        assertEquals(127, plain.exitCode(), plain.ending() + " " + plain.stderrText());
        assumeTrue(asanBinary != null, "the ASan half SKIPPED: " + asanUnavailable);
        Process p = startAgent(asanBinary);
        AgentConnection c = new AgentConnection(p.getInputStream(), p.getOutputStream(), () -> {
            p.getOutputStream().close();
            p.getInputStream().close();
        });
        try {
            c.awaitReady();
            ExecResult r = c.exec(longName);
            assertEquals(127, r.exitCode(), "under ASan: " + r.ending() + " " + r.stderrText());
            c.shutdown();
            assertTrue(p.waitFor(TestTime.seconds(10).toMillis(), TimeUnit.MILLISECONDS));
            assertEquals(0, p.exitValue(), "the ASan agent ended cleanly");
        } finally {
            c.close();
            p.destroyForcibly().waitFor();
        }
    }

    /** An agent driven frame by frame, past its READY: for tests that end the transport at a chosen byte. */
    static Process startRawAgent() throws IOException {
        Process p = startAgent(agentBinary);
        assertEquals(Message.READY, FrameCodec.read(p.getInputStream()).type());
        return p;
    }

    /**
     * A STDIN frame that waits for the command's full pipe must not stop the agent from noticing
     * that the host closed the transport (in --stdio mode its exit stands for the power-off).
     */
    @Test
    @ScaledTimeout(60)
    void aHostThatClosesWhileStdinWaitsForTheCommandEndsTheAgent() throws Exception {
        Process p = startRawAgent();
        try {
            OutputStream o = p.getOutputStream();
            o.write(FrameCodec.encode(new Message.Exec(List.of("sleep", "1000"), Command.DEFAULT_ENV, "", true)));
            byte[] chunk = new byte[64 << 10];
            o.write(FrameCodec.encode(new Message.Stdin(chunk))); // fills the command's pipe
            o.write(FrameCodec.encode(new Message.Stdin(chunk))); // waits for the pipe: nobody reads it
            o.close();
            assertTrue(p.waitFor(TestTime.seconds(10).toMillis(), TimeUnit.MILLISECONDS),
                    "the agent ends when the host closes while STDIN waits for the command");
        } finally {
            p.destroyForcibly().waitFor();
        }
    }

    /**
     * A host that closes during a command ends the agent at once, even when a process outside the
     * command's process group (its own session) holds the command's output pipes open.
     */
    @Test
    @ScaledTimeout(60)
    void aHostThatClosesDuringACommandEndsTheAgentThoughAnotherSessionHoldsItsPipes() throws Exception {
        Path holderPid = dir.resolve("holder.pid");
        Process p = startRawAgent();
        try {
            OutputStream o = p.getOutputStream();
            o.write(FrameCodec.encode(new Message.Exec(List.of("sh", "-c",
                    "setsid sh -c 'echo $$ > " + holderPid + ".tmp; mv " + holderPid + ".tmp " + holderPid
                            + "; exec sleep 60' & exec sleep 1000"), Command.DEFAULT_ENV, "", false)));
            o.flush();
            long deadline = System.nanoTime() + TestTime.seconds(20).toNanos();
            while (!Files.exists(holderPid)) { // the holder runs: it has the command's pipes
                assertTrue(System.nanoTime() < deadline, "the background holder started");
                java.util.concurrent.locks.LockSupport.parkNanos(10_000_000);
            }
            o.close();
            assertTrue(p.waitFor(TestTime.seconds(10).toMillis(), TimeUnit.MILLISECONDS),
                    "the agent ends when the host closes, not when the other session's sleep 60 does");
        } finally {
            p.destroyForcibly().waitFor();
            if (Files.exists(holderPid)) {
                ProcessHandle.of(Long.parseLong(Files.readString(holderPid).strip())).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
    }

    /** A FIFO (or device) is refused by FILE_READ without blocking in open(), and not replaced by FILE_WRITE. */
    @Test
    @ScaledTimeout(60)
    void aFifoIsRefusedByGetAndPutPromptly() throws Exception {
        Path fifo = dir.resolve("fifo");
        assertEquals(0, agent.exec(Command.of("mkfifo", fifo.toString())).exitCode());
        AgentErrorException read = assertThrows(AgentErrorException.class, () -> org.junit.jupiter.api.Assertions
                .assertTimeoutPreemptively(TestTime.seconds(10), () -> agent.get(fifo.toString(), 10, new ByteArrayOutputStream()),
                        "FILE_READ of a FIFO without a writer answers at once"));
        assertEquals(22, read.errno(), read.getMessage());
        assertTrue(read.getMessage().contains(fifo.toString()), read.getMessage());
        AgentErrorException write = assertThrows(AgentErrorException.class,
                () -> agent.put(new ByteArrayInputStream(new byte[100]), 100, fifo.toString(), 0644));
        assertEquals(22, write.errno(), write.getMessage());
        assertTrue(write.getMessage().contains(fifo.toString()), write.getMessage());
        assertEquals("fifo\n", agent.exec(Command.of("stat", "-c", "%F", fifo.toString())).stdoutText(), "still the FIFO");
        AgentErrorException device = assertThrows(AgentErrorException.class,
                () -> agent.get("/dev/null", 10, new ByteArrayOutputStream()));
        assertEquals(22, device.errno(), device.getMessage());
        assertEquals(0, agent.exec(Command.of("true")).exitCode(), "the connection carries on");
        try (var files = Files.list(dir)) {
            assertEquals(List.of("fifo"), files.map(f -> f.getFileName().toString()).toList(), "no temporary file is left");
        }
    }

    /** The transport ending in the middle of a FILE_DATA frame leaves no temporary file behind. */
    @Test
    @ScaledTimeout(60)
    void aTransportThatEndsMidFrameDuringPutLeavesNoTemporaryFile() throws Exception {
        Process p = startRawAgent();
        try {
            OutputStream o = p.getOutputStream();
            o.write(FrameCodec.encode(new Message.FileWrite(dir.resolve("half").toString(), 0644, 100_000)));
            o.write(FrameCodec.encode(new Message.FileData(new byte[30_000])));
            byte[] second = FrameCodec.encode(new Message.FileData(new byte[50_000]));
            o.write(second, 0, 20_000); // the frame's head promises 50 000 bytes: the transport ends inside it
            o.close();
            assertTrue(p.waitFor(TestTime.seconds(10).toMillis(), TimeUnit.MILLISECONDS), "the agent ends at EOF");
            assertEquals(1, p.exitValue(), "EOF inside a frame is fatal");
            try (var files = Files.list(dir)) {
                assertEquals(List.of(), files.map(f -> f.getFileName().toString()).toList(),
                        "neither the file nor its .jvmm-* temporary is left");
            }
        } finally {
            p.destroyForcibly().waitFor();
        }
    }

    /** The command gets fds 0, 1 and 2 and nothing else of the agent's (ls's own directory fd is 3). */
    @Test
    @ScaledTimeout(60)
    void theCommandInheritsOnlyItsThreeStandardFds() throws Exception {
        assertEquals(List.of("0", "1", "2", "3"), agent.exec(Command.of("ls", "/proc/self/fd")).stdoutText().lines().toList(),
                "stdin /dev/null");
        assertEquals(List.of("0", "1", "2", "3"), agent.exec(Command.of("ls", "/proc/self/fd")
                .withStdin(new ByteArrayInputStream(new byte[0]))).stdoutText().lines().toList(), "stdin a pipe");
    }

    /**
     * A timeout's KILL ends the EXEC even when a process in another session, out of the KILL's
     * reach, holds the command's output pipes open: the agent stops waiting for their EOF once the
     * command's whole process group is gone.
     */
    @Test
    @ScaledTimeout(60)
    void aKillEndsTheExecThoughAnotherSessionHoldsItsPipes() throws Exception {
        Path holderPid = dir.resolve("holder.pid");
        try {
            Command c = Command.of("sh", "-c", "echo before; setsid sh -c 'echo $$ > " + holderPid + "; exec sleep 60' & exec sleep 1000")
                    .withTimeout(Duration.ofSeconds(1));
            ExecResult r = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(TestTime.seconds(15), () -> agent.exec(c),
                    "EXITED comes soon after the KILL, not when the other session's sleep 60 ends");
            assertTrue(r.timedOut());
            assertEquals(new ExecResult.Signaled(9), r.ending());
            assertEquals("before\n", r.stdoutText(), "what the pipe held is still sent");
            assertEquals(0, agent.exec(Command.of("true")).exitCode(), "the connection carries on");
        } finally {
            if (Files.exists(holderPid)) {
                ProcessHandle.of(Long.parseLong(Files.readString(holderPid).strip())).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
    }

    private static void copy(InputStream in, OutputStream out) {
        byte[] buf = new byte[1 << 16];
        try {
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // one side closed: the bridge ends
        } finally {
            try {
                out.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    private static long fdCount(long pid) throws IOException {
        try (var s = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            return s.count();
        }
    }
}
