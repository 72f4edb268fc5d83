package io.jvmm.cli;

import io.jvmm.testkit.TestTime;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code jvmm} in a child JVM on this test's module path (every module of the boot layer that
 * lives in a file), for what cannot be checked in-process: log configuration, which is fixed once
 * per JVM, and the terminal. Output goes to files, so a chatty child cannot block on a full pipe.
 */
record JvmmProcess(int exitCode, String out, String err) {
    /** The boot layer's module locations, joined as a module path. */
    static String modulePath() {
        TreeSet<String> paths = new TreeSet<>();
        for (var m : ModuleLayer.boot().configuration().modules()) {
            Optional<URI> location = m.reference().location();
            if (location.isPresent() && "file".equals(location.get().getScheme())) {
                paths.add(Path.of(location.get()).toString());
            }
        }
        return String.join(File.pathSeparator, paths);
    }

    /** {@code java jvmOptions... -m io.jvmm.cli/io.jvmm.cli.Main args}. */
    static List<String> command(List<String> jvmOptions, String... args) {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto",
                "--enable-native-access=com.sun.jna"));
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-p", modulePath(), "-m", "io.jvmm.cli/io.jvmm.cli.Main"));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Runs {@code jvmm args} with stdin from /dev/null; kills it after {@code timeout} (a {@link TestTime} budget). */
    static JvmmProcess run(Path work, Duration timeout, String... args) throws IOException, InterruptedException {
        return runWithProperties(work, timeout, List.of(), args);
    }

    /** {@link #run} with extra JVM options (e.g. system properties). */
    static JvmmProcess runWithProperties(Path work, Duration timeout, List<String> jvmOptions, String... args)
            throws IOException, InterruptedException {
        Path out = work.resolve("child.out");
        Path err = work.resolve("child.err");
        Process p = new ProcessBuilder(command(jvmOptions, args)).directory(work.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly().waitFor(TestTime.seconds(10).toMillis(), TimeUnit.MILLISECONDS);
            throw new AssertionError("jvmm " + String.join(" ", args) + " did not end within " + timeout
                    + "; stderr: " + Files.readString(err, StandardCharsets.UTF_8));
        }
        return new JvmmProcess(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }
}
