package io.jvmm.runtime.sandbox;

import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A command for {@link Sandbox#exec}: argv (argv[0] is looked up in PATH of {@code env}, as execvp
 * does), the environment, the working directory, what its stdin reads and how long it may run.
 *
 * @param argv the program and its arguments, at least one
 * @param env "KEY=VALUE" entries; the command sees only these
 * @param cwd the working directory in the guest, "" for /
 * @param stdin what the command reads, or null for /dev/null; read on a thread of its own
 * @param timeout how long before the command is killed (SIGKILL to its process group), or null
 * @param outputLimit the most bytes of stdout plus stderr a capturing exec keeps before it kills the command
 */
public record Command(List<String> argv, List<String> env, String cwd, InputStream stdin, Duration timeout,
        long outputLimit) {
    /** The environment a command gets unless it says otherwise. */
    public static final List<String> DEFAULT_ENV = List.of(
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "TERM=dumb");
    /** What a capturing exec keeps of stdout plus stderr by default: 64 MiB. */
    public static final long DEFAULT_OUTPUT_LIMIT = 64L << 20;

    public Command {
        argv = List.copyOf(argv);
        env = List.copyOf(env);
        Objects.requireNonNull(cwd, "cwd");
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("a command needs at least a program name");
        }
        if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
            throw new IllegalArgumentException("timeout must be positive, was " + timeout);
        }
        if (outputLimit < 0) {
            throw new IllegalArgumentException("outputLimit must not be negative");
        }
        new Message.Exec(argv, env, cwd, stdin != null); // the protocol's limits, checked now
    }

    /** {@code argv} with the default environment, in /, no stdin, no timeout. */
    public static Command of(String... argv) {
        return new Command(List.of(argv), DEFAULT_ENV, "", null, null, DEFAULT_OUTPUT_LIMIT);
    }

    /** {@code argv} with the default environment, in /, no stdin, no timeout. */
    public static Command of(List<String> argv) {
        return new Command(argv, DEFAULT_ENV, "", null, null, DEFAULT_OUTPUT_LIMIT);
    }

    public Command withStdin(InputStream in) {
        return new Command(argv, env, cwd, in, timeout, outputLimit);
    }

    public Command withTimeout(Duration t) {
        return new Command(argv, env, cwd, stdin, t, outputLimit);
    }

    public Command withCwd(String dir) {
        return new Command(argv, env, dir, stdin, timeout, outputLimit);
    }

    public Command withEnv(List<String> environment) {
        return new Command(argv, environment, cwd, stdin, timeout, outputLimit);
    }

    /** The default environment plus (or replacing) {@code entry}, "KEY=VALUE". */
    public Command withEnvEntry(String entry) {
        String key = entry.substring(0, Math.max(0, entry.indexOf('=')) + 1);
        List<String> e = new ArrayList<>(env.stream().filter(x -> key.isEmpty() || !x.startsWith(key)).toList());
        e.add(entry);
        return withEnv(e);
    }

    public Command withOutputLimit(long bytes) {
        return new Command(argv, env, cwd, stdin, timeout, bytes);
    }

    Message.Exec message() {
        return new Message.Exec(argv, env, cwd, stdin != null);
    }
}
