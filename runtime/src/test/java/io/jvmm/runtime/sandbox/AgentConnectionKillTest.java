package io.jvmm.runtime.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.testkit.ScaledTimeout;
import io.jvmm.testkit.TestTime;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A command that never reads its stdin while the host has endless input for it: the agent stops
 * reading the transport (a STDIN frame waits for the command's full pipe), so the host's STDIN
 * write blocks. A timeout or {@link AgentConnection#kill} must still end the exec within the KILL
 * give-up deadline, by closing the transport, instead of waiting for the blocked write's lock.
 * The real agent in {@code --stdio} mode; "closing the transport" ends the agent process, as
 * closing a vsock connection makes the guest's agent power off.
 */
class AgentConnectionKillTest {
    static final Duration GRACE = Duration.ofSeconds(2);

    @TempDir
    static Path buildDir;

    static Path agentBinary;

    Process process;
    AgentConnection agent;

    @BeforeAll
    static void buildAgent() throws Exception {
        agentBinary = AgentStdioTest.build(buildDir);
    }

    @BeforeEach
    void startAgent() throws IOException {
        process = new ProcessBuilder(agentBinary.toString(), "--stdio")
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        agent = new AgentConnection(process.getInputStream(), process.getOutputStream(), () -> {
            // a blocked write to the agent's stdin holds the pipe stream's monitor, so closing that
            // stream would wait for it: end the peer, as a closed socket would be seen by the guest
            process.destroyForcibly();
            process.getInputStream().close();
        }, GRACE);
        agent.awaitReady();
    }

    @AfterEach
    void stopAgent() throws InterruptedException {
        agent.close();
        if (!process.waitFor(TestTime.seconds(10).toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }

    /** Zeros without end. */
    static InputStream endless() {
        return new InputStream() {
            @Override
            public int read() {
                return 0;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                java.util.Arrays.fill(b, off, off + len, (byte) 0);
                return len;
            }
        };
    }

    /** Waits until the stdin thread sits in a native pipe write (the pipes are full), which it stays in. */
    static void awaitStdinWriteBlocked() throws InterruptedException {
        long until = System.nanoTime() + TestTime.seconds(20).toNanos();
        int seen = 0;
        while (System.nanoTime() < until) {
            boolean blocked = Thread.getAllStackTraces().entrySet().stream()
                    .filter(e -> e.getKey().getName().equals("jvmm-sandbox-stdin"))
                    .anyMatch(e -> e.getValue().length > 0 && e.getValue()[0].getMethodName().equals("writeBytes"));
            seen = blocked ? seen + 1 : 0;
            if (seen >= 20) {
                return; // in the write for 20 looks in a row (~200 ms): blocked, not just writing
            }
            TimeUnit.MILLISECONDS.sleep(10);
        }
        throw new AssertionError("the STDIN write never blocked");
    }

    @Test
    @ScaledTimeout(60)
    void timeoutEndsAnExecWhoseStdinIsNotRead() {
        long start = System.nanoTime();
        SandboxException e = assertThrows(SandboxException.class,
                () -> agent.exec(Command.of("sleep", "30").withStdin(endless()).withTimeout(Duration.ofSeconds(1))));
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
        assertTrue(e.getMessage().contains("the agent stopped reading"), e.getMessage());
        assertTrue(seconds < 1 + GRACE.toSeconds() + 5, "ended after " + seconds + " s");
        assertFalse(agent.isOpen(), "the transport is given up");
    }

    @Test
    @ScaledTimeout(60)
    void killEndsAnExecWhoseStdinIsNotRead() throws Exception {
        CompletableFuture<Throwable> exec = CompletableFuture.supplyAsync(() -> {
            try {
                agent.exec(Command.of("sleep", "30").withStdin(endless()));
                return null;
            } catch (Throwable t) {
                return t;
            }
        });
        long until = System.nanoTime() + TestTime.seconds(10).toNanos();
        while (!agent.commandRunning() && System.nanoTime() < until) {
            Thread.onSpinWait();
        }
        assertTrue(agent.commandRunning(), "the command runs");
        awaitStdinWriteBlocked();
        assertTrue(agent.commandRunning(), "commandRunning answers while a STDIN write is blocked");
        SandboxException k = assertThrows(SandboxException.class, () -> agent.kill(9));
        assertTrue(k.getMessage().contains("the agent stopped reading"), k.getMessage());
        Throwable t = exec.get(TestTime.seconds(20).toMillis(), TimeUnit.MILLISECONDS);
        assertTrue(t instanceof SandboxException, String.valueOf(t));
        assertTrue(t.getMessage().contains("the agent stopped reading"), t.getMessage());
        assertEquals(false, agent.isOpen());
    }

    @TempDir
    Path dir;

    /**
     * A request in progress (here a command that runs until killed): a SHUTDOWN would wait for it,
     * so {@link AgentConnection#shutdownIfIdle} refuses at once and closing the transport ends the
     * request (what Sandbox.closeAndWait does). (A FILE_READ of a FIFO was the first hanging request
     * used here; the agent now refuses FIFOs at once.)
     */
    @Test
    @ScaledTimeout(60)
    void shutdownIfIdleRefusesWhileARequestHangs() throws Exception {
        CompletableFuture<Throwable> exec = CompletableFuture.supplyAsync(() -> {
            try {
                agent.exec(Command.of("sleep", "1000"), java.io.OutputStream.nullOutputStream(),
                        java.io.OutputStream.nullOutputStream());
                return null;
            } catch (Throwable t) {
                return t;
            }
        });
        long until = System.nanoTime() + TestTime.seconds(10).toNanos();
        while (!Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getStackTrace().length > 0
                && java.util.Arrays.stream(t.getStackTrace()).anyMatch(f -> f.getMethodName().equals("exec")
                        && f.getClassName().equals(AgentConnection.class.getName())))
                && System.nanoTime() < until) {
            TimeUnit.MILLISECONDS.sleep(10);
        }
        assertFalse(agent.shutdownIfIdle(), "a request is in progress");
        assertFalse(exec.isDone(), "the command still runs");
        agent.close();
        Throwable t = exec.get(TestTime.seconds(20).toMillis(), TimeUnit.MILLISECONDS);
        assertTrue(t instanceof SandboxException, String.valueOf(t));
    }

    @Test
    @ScaledTimeout(60)
    void shutdownIfIdleSendsShutdownWhenIdle() throws Exception {
        assertTrue(agent.shutdownIfIdle());
        assertTrue(process.waitFor(TestTime.seconds(10).toMillis(), TimeUnit.MILLISECONDS), "the --stdio agent exits on SHUTDOWN");
        assertEquals(0, process.exitValue());
    }
}
