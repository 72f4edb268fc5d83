package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.testkit.ScaledTimeout;
import io.jvmm.testkit.TestTime;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged layout {@code target/jvmm} and its tarball, as a user runs them: bin/jvmm in a
 * stripped environment. Runs after the package phase (surefire execution 'distribution').
 */
@ScaledTimeout(180)
class DistributionIT {
    static final Path DIST = Path.of("target", "jvmm").toAbsolutePath();

    @TempDir
    Path dir;

    @Test
    void bundledRuntimeRunsWithoutAnyJdkOnPathOrJavaHome() throws Exception {
        Result version = launch(DIST, noJdk(), "--version");
        assertEquals(0, version.exitCode, version.err);
        assertTrue(version.out.startsWith("jvmm "), version.out);
        assertTrue(version.out.contains(") at " + DIST.resolve("runtime").toRealPath()), "the bundled runtime ran: " + version.out);

        Result plugins = launch(DIST, noJdk(), "plugins");
        assertEquals(0, plugins.exitCode, plugins.err);
        assertTrue(plugins.out.lines().anyMatch(l -> l.matches("\\s*chipset_device\\s+serial_16550\\s+io\\.jvmm\\.dev\\.serial16550\\s.*")),
                "the device modules linked into the runtime are found: " + plugins.out);
        assertTrue(plugins.out.contains("Hypervisors:\n  kvm  "), plugins.out);
        assertFalse(plugins.out.contains("Failed providers"), plugins.out);
    }

    @Test
    void javaHomeSelectsThatJdkWithLibAsTheModulePath() throws Exception {
        String javaHome = Path.of(System.getProperty("java.home")).toRealPath().toString();
        Map<String, String> env = noJdk();
        env.put("JAVA_HOME", javaHome);
        env.put("JAVA_OPTS", "-XshowSettings:properties");
        Result r = launch(DIST, env, "--version");
        assertEquals(0, r.exitCode, r.err);
        assertTrue(r.out.contains(") at " + javaHome), r.out);
        assertTrue(r.err.contains("jdk.module.path = " + DIST.resolve("lib").toRealPath()), r.err);

        env.put("JVMM_JAVA", "bundled");
        Result bundled = launch(DIST, env, "--version");
        assertTrue(bundled.out.contains(") at " + DIST.resolve("runtime").toRealPath()), "JVMM_JAVA=bundled wins over JAVA_HOME: " + bundled.out);
        assertFalse(bundled.err.contains("jdk.module.path"), "no module path with the bundled runtime: " + bundled.err);

        env.put("JVMM_JAVA", "sometimes");
        Result bad = launch(DIST, env, "--version");
        assertEquals(2, bad.exitCode);
        assertTrue(bad.err.contains("JVMM_JAVA=sometimes is not bundled or system"), bad.err);
    }

    @Test
    void startUpArchiveMadeAtPackageTimeIsMappedAndUserCommandsNeverRecordOne() throws Exception {
        Map<String, FileTime> before = archives();
        assertTrue(before.keySet().stream().anyMatch(name -> name.startsWith("bundled-")),
                "the package build made an archive for the bundled runtime: " + before);

        Path log = dir.resolve("class-load.txt");
        Map<String, String> env = noJdk();
        env.put("JAVA_OPTS", "-Xlog:class+load:file=" + log);
        assertEquals(0, launch(DIST, env, "plugins").exitCode);
        String withArchive = mainClassSource(log);
        assertTrue(withArchive.contains("source: shared objects file"), "io.jvmm.cli.Main comes from the archive: " + withArchive);

        env.put("JVMM_CDS", "off");
        assertEquals(0, launch(DIST, env, "plugins").exitCode);
        String without = mainClassSource(log);
        assertTrue(without.contains("source: jrt:/io.jvmm.cli"), "JVMM_CDS=off: io.jvmm.cli.Main from the runtime image: " + without);

        env.remove("JVMM_CDS");
        env.put("JAVA_HOME", System.getProperty("java.home"));
        assertEquals(0, launch(DIST, env, "--version").exitCode);
        assertEquals(before, archives(), "no command made or changed an archive");
    }

    @Test
    void tarballUnpacksToARunnableTreeThatUsesJnaFromNative() throws Exception {
        List<Path> tarballs;
        try (Stream<Path> s = Files.list(Path.of("target"))) {
            tarballs = s.filter(p -> p.getFileName().toString().matches("jvmm-.+-linux-.+\\.tar\\.gz")).toList();
        }
        assertEquals(1, tarballs.size(), tarballs.toString());
        Result untar = exec(List.of("tar", "-xzf", tarballs.get(0).toAbsolutePath().toString(), "-C", dir.toString()), Map.of());
        assertEquals(0, untar.exitCode, untar.err);
        String top = tarballs.get(0).getFileName().toString().replaceFirst("-linux-.+\\.tar\\.gz$", "");
        Path tree = dir.resolve(top);
        assertTrue(Files.isExecutable(tree.resolve("bin/jvmm")) && Files.isExecutable(tree.resolve("bin/jvmm-archive"))
                && Files.isExecutable(tree.resolve("runtime/bin/java")), "executable bits kept");
        assertFalse(Files.exists(tree.resolve("lib/.built")), "the build stamp is not part of the distribution");

        Path log = dir.resolve("class-load.txt");
        Map<String, String> env = noJdk();
        env.put("JAVA_OPTS", "-Xlog:class+load:file=" + log);
        Result r = launch(tree, env, "plugins");
        assertEquals(0, r.exitCode, r.err);
        String loaded = Files.readString(log);
        assertTrue(mainClassSource(log).contains("source: shared objects file"), "the archive maps in the moved tree: " + mainClassSource(log));
        assertTrue(loaded.contains(" com.sun.jna.Native "), "plugins probes /dev/kvm through JNA");
        assertFalse(loaded.contains(" java.io.DeleteOnExitHook "), "JNA loads native/libjnidispatch.so instead of unpacking a temporary copy");

        // without native/, JNA falls back to unpacking its copy from the jar
        Files.delete(tree.resolve("native/libjnidispatch.so"));
        Result fallback = launch(tree, env, "plugins");
        assertEquals(0, fallback.exitCode, fallback.err);
        assertTrue(fallback.out.contains("Hypervisors:\n  kvm  "), fallback.out);
        assertTrue(Files.readString(log).contains(" java.io.DeleteOnExitHook "), "the fallback unpacked JNA's library");
    }

    @Test
    void pluginDirectoriesWorkWithTheBundledRuntimeFromOptionAndEnvironment() throws Exception {
        Path plugins = dir.resolve("plugins");
        new PluginJars(dir).postcodeExample(plugins);
        String postcode = "\\s*chipset_device\\s+postcode\\s+com\\.example\\.postcode\\s.*dev-postcode\\.jar";

        Result option = launch(DIST, noJdk(), "plugins", "--plugin-path", plugins.toString());
        assertEquals(0, option.exitCode, option.err);
        assertTrue(option.out.lines().anyMatch(l -> l.matches(postcode)), option.out);

        Map<String, String> env = noJdk();
        env.put("JVMM_PLUGIN_PATH", dir.resolve("nothing-here") + File.pathSeparator + plugins);
        Result missing = launch(DIST, env, "plugins");
        assertEquals(2, missing.exitCode, missing.out);
        assertTrue(missing.err.contains("jvmm: JVMM_PLUGIN_PATH: " + dir.resolve("nothing-here") + " is not a directory"), missing.err);

        env.put("JVMM_PLUGIN_PATH", plugins.toString());
        Result fromEnv = launch(DIST, env, "plugins");
        assertEquals(0, fromEnv.exitCode, fromEnv.err);
        assertTrue(fromEnv.out.lines().anyMatch(l -> l.matches(postcode)), fromEnv.out);
    }

    /** An environment with no JDK: PATH has readlink and nothing else, no JAVA_HOME. */
    private Map<String, String> noJdk() throws IOException {
        Path bin = dir.resolve("path-bin");
        if (!Files.exists(bin)) {
            Files.createDirectories(bin);
            Files.createSymbolicLink(bin.resolve("readlink"), Path.of("/bin/readlink").toRealPath());
        }
        Map<String, String> env = new HashMap<>();
        env.put("PATH", bin.toString());
        env.put("HOME", dir.toString());
        return env;
    }

    /** The cds/ archives with their modification times. */
    private static Map<String, FileTime> archives() throws IOException {
        Map<String, FileTime> found = new TreeMap<>();
        Path cds = DIST.resolve("cds");
        if (Files.isDirectory(cds)) {
            try (Stream<Path> s = Files.list(cds)) {
                for (Path p : s.toList()) {
                    found.put(p.getFileName().toString(), Files.getLastModifiedTime(p));
                }
            }
        }
        return found;
    }

    /**
     * jvmm-archive's second training run (firmware from a file, file-backed serial port and debug
     * console): those paths are in the archive too, so a run that takes them loads their classes
     * from it (checked with {@code check}, which builds the same board without a hypervisor).
     */
    @Test
    void theArchiveCoversFirmwareFilesAndFileBackends() throws Exception {
        Path log = dir.resolve("class-load-firmware.txt");
        Map<String, String> env = noJdk();
        env.put("JAVA_OPTS", "-Xlog:class+load:file=" + log);
        Result check = launch(DIST, env, "check", "--firmware", DIST.resolve("share/demo.bin").toString(),
                "--serial", "2=file=" + dir.resolve("com2"), "--debugcon", "0xe9=file=" + dir.resolve("debugcon"));
        assertEquals(0, check.exitCode, check.err);
        List<String> lines = Files.readAllLines(log);
        for (String type : List.of("io.jvmm.dev.debugcon.DebugconDevice", "java.nio.file.Files")) {
            String line = lines.stream().filter(l -> l.contains(" " + type + " source: ")).findFirst()
                    .orElse("(" + type + " not loaded)");
            assertTrue(line.contains("source: shared objects file"), type + " comes from the archive: " + line);
        }
    }

    /**
     * examples/multi-vm is outside the reactor (its run.sh compiles it against lib/ and needs KVM to
     * run): compiling it here, as run.sh does, catches an embedding-API change that breaks it.
     */
    @Test
    void theMultiVmExampleCompilesAgainstTheDistribution() throws Exception {
        Path example = Path.of("..", "examples", "multi-vm", "src").toAbsolutePath().normalize();
        List<String> sources;
        try (Stream<Path> files = Files.walk(example)) {
            sources = files.filter(f -> f.toString().endsWith(".java")).map(Path::toString).sorted().toList();
        }
        assertFalse(sources.isEmpty(), "no sources under " + example);
        String modulePath;
        try (Stream<Path> jars = Files.list(DIST.resolve("lib"))) {
            modulePath = jars.filter(j -> j.toString().endsWith(".jar")).map(Path::getFileName).map(Path::toString)
                    .filter(name -> !name.startsWith("jvmm-cli-") && !name.startsWith("picocli-")).sorted()
                    .map(name -> DIST.resolve("lib").resolve(name).toString())
                    .collect(java.util.stream.Collectors.joining(File.pathSeparator));
        }
        List<String> javac = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "javac").toString(),
                "--release", "17", "-p", modulePath, "-d", dir.resolve("classes").toString()));
        javac.addAll(sources);
        Result compiled = exec(javac, new HashMap<>(System.getenv()));
        assertEquals(0, compiled.exitCode, "javac examples/multi-vm: " + compiled.err + compiled.out);
    }

    /**
     * With the bundled runtime jvmm's classes come from the runtime image, so {@code jvmm exec}
     * finds its guest agent through the distribution root bin/jvmm passes: it gets past the agent
     * to the kernel's modules (which this fake kernel has none of).
     */
    @Test
    void execFindsTheAgentInTheDistributionWithTheBundledRuntime() throws Exception {
        Path kernel = Files.writeString(dir.resolve("vmlinuz-9.9-fake"), "not a kernel");
        Result exec = launch(DIST, noJdk(), "exec", "--kernel", kernel.toString(), "--", "true");
        assertEquals(2, exec.exitCode, exec.err);
        assertFalse(exec.err.contains("no agent"), exec.err);
        assertTrue(exec.err.contains("no kernel modules for " + kernel), exec.err);
    }

    /** The -Xlog:class+load line of io.jvmm.cli.Main. */
    private static String mainClassSource(Path log) throws IOException {
        return Files.readString(log).lines().filter(l -> l.contains(" io.jvmm.cli.Main source: ")).findFirst()
                .orElse("(io.jvmm.cli.Main not in the class+load log)");
    }

    private static Result launch(Path tree, Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(tree.resolve("bin/jvmm").toString());
        cmd.addAll(List.of(args));
        return exec(cmd, env);
    }

    /** Runs {@code cmd} with exactly {@code env}, stdin from /dev/null, output into files. */
    private static Result exec(List<String> cmd, Map<String, String> env) throws Exception {
        Path out = Files.createTempFile("dist-it", ".out");
        Path err = Files.createTempFile("dist-it", ".err");
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(out.toFile()).redirectError(err.toFile());
            pb.environment().clear();
            pb.environment().putAll(env);
            Process p = pb.start();
            if (!p.waitFor(TestTime.seconds(60).toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor(TestTime.seconds(10).toMillis(), TimeUnit.MILLISECONDS);
                throw new AssertionError(cmd + " did not end in time; stderr: " + Files.readString(err));
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    private record Result(int exitCode, String out, String err) {}
}
