package io.jvmm.runtime.sandbox;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * How a command ended, and what it wrote (empty when its output was streamed instead).
 *
 * @param ending exit status, signal, or why it could not start
 * @param timedOut whether the host killed it because its timeout ran out
 * @param outputLimitHit whether the host killed it because its output went past the capture limit
 * @param stdout what it wrote on stdout (captured), else empty
 * @param stderr what it wrote on stderr (captured), else empty
 * @param elapsed from sending EXEC to EXITED (or ERROR)
 */
public record ExecResult(Ending ending, boolean timedOut, boolean outputLimitHit, byte[] stdout, byte[] stderr,
        Duration elapsed) {
    /** How a command ended. */
    public sealed interface Ending {
        /** The shell's number for it: the status, 128+signal, 127 for a missing program, 126 otherwise. */
        int exitCode();
    }

    /** It exited with {@code status}. */
    public record Exited(int status) implements Ending {
        public int exitCode() { return status; }
    }

    /** A signal killed it. */
    public record Signaled(int signal) implements Ending {
        public int exitCode() { return 128 + signal; }
    }

    /** It could not start: the agent's ERROR (errno 2 = ENOENT, e.g. no such program). */
    public record NotStarted(int errno, String message) implements Ending {
        public int exitCode() { return errno == 2 ? 127 : 126; }
    }

    public ExecResult {
        stdout = stdout.clone();
        stderr = stderr.clone();
    }

    public byte[] stdout() { return stdout.clone(); }

    public byte[] stderr() { return stderr.clone(); }

    /** The shell's exit code: status, 128+signal, 127 or 126. */
    public int exitCode() {
        return ending.exitCode();
    }

    public String stdoutText() {
        return new String(stdout, StandardCharsets.UTF_8);
    }

    public String stderrText() {
        return new String(stderr, StandardCharsets.UTF_8);
    }
}
