package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import io.jvmm.runtime.sandbox.Initramfs;
import io.jvmm.testkit.TestTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * What the Linux boot tests share: the Debian kernel (or a skip saying how to get it), an initramfs
 * of busybox, an {@code /init} script and optional kernel modules, and one {@code jvmm run} of it with
 * COM1 in a file, whose console, facts ({@code JVMM-FACT ...} lines) and ending the test checks.
 *
 * <p>Needs a kernel: {@code JVMM_LINUX_KERNEL} (or {@code -Djvmm.test.linux}) names the bzImage,
 * {@code JVMM_LINUX_VMLINUX} (or {@code -Djvmm.test.vmlinux}) the ELF vmlinux;
 * {@code cli/src/test/linux/fetch-kernel.sh} fetches both, beside the kernel's modules. Needs
 * {@code /bin/busybox} (Debian's busybox-static).
 */
final class LinuxGuest {
    static final Path BUSYBOX = Path.of("/bin/busybox");
    /**
     * How long one boot may take before the test gives up: seconds on real KVM; in the nested-KVM
     * L1 (time scale 4, ci/nested-kvm) a boot takes 1-3 minutes and this allows 5.
     */
    static Duration bootTimeout() {
        return TestTime.seconds(75);
    }

    /** The start of every /init: busybox's applets, /proc, /sys and the marker. */
    static final List<String> INIT_START = List.of(
            "#!/bin/busybox sh",
            "export PATH=/bin",
            "/bin/busybox --install -s /bin",
            "mount -t proc proc /proc",
            "mount -t sysfs sysfs /sys",
            "echo \"JVMM-USERSPACE: init is pid $$\"");

    private LinuxGuest() {}

    /** The bzImage the environment names, or a skip saying how to get one. */
    static Path bzImage() {
        return kernel("jvmm.test.linux", "JVMM_LINUX_KERNEL", "a bzImage");
    }

    /** The ELF vmlinux the environment names, or a skip. */
    static Path vmlinux() {
        return kernel("jvmm.test.vmlinux", "JVMM_LINUX_VMLINUX", "an ELF vmlinux");
    }

    /** The kernel the property or environment variable names, or a skip saying how to get one. */
    static Path kernel(String property, String env, String what) {
        String path = System.getProperty(property);
        if (path == null || path.isBlank()) {
            path = System.getenv(env);
        }
        assumeTrue(path != null && !path.isBlank(), "Linux boot test SKIPPED: set " + env + " (or -D" + property
                + ") to " + what + "; cli/src/test/linux/fetch-kernel.sh fetches the Debian amd64 kernel");
        Path kernel = Path.of(path);
        assertTrue(Files.isRegularFile(kernel), env + "/" + property + " names " + kernel + ", which is not a file");
        assumeTrue(Files.isExecutable(BUSYBOX), "Linux boot test SKIPPED: no " + BUSYBOX
                + " for the initramfs (apt-get install busybox-static)");
        return kernel;
    }

    /**
     * A module of the Debian kernel {@code kernel} (fetch-kernel.sh leaves the package's
     * {@code lib/modules} beside it, in {@code linux-image-ABI/}), e.g. {@code drivers/acpi/button.ko}.
     */
    static Path module(Path kernel, String relative) {
        String abi = kernel.getFileName().toString().replaceFirst("^(vmlinuz|vmlinux)-", "");
        Path ko = kernel.resolveSibling("linux-image-" + abi).resolve("lib/modules/" + abi + "/kernel/" + relative);
        assumeTrue(Files.isRegularFile(ko), "Linux test SKIPPED: no " + ko
                + " (cli/src/test/linux/fetch-kernel.sh extracts the kernel package's modules there)");
        return ko;
    }

    /** An initramfs of busybox, {@code init} (lines) and {@code files} (path in the archive → host file). */
    static Path initramfs(Path dir, List<String> init, Map<String, Path> files) throws IOException {
        Initramfs cpio = new Initramfs()
                .directory("bin").directory("dev").directory("proc").directory("sys").directory("lib")
                .characterDevice("dev/console", 5, 1)
                .file("bin/busybox", 0755, Files.readAllBytes(BUSYBOX))
                .file("init", 0755, (String.join("\n", init) + "\n").getBytes(StandardCharsets.US_ASCII));
        for (Map.Entry<String, Path> f : files.entrySet()) {
            cpio.file(f.getKey(), 0644, Files.readAllBytes(f.getValue()));
        }
        Path initrd = dir.resolve("initramfs.cpio");
        Files.write(initrd, cpio.toBytes());
        return initrd;
    }

    /** {@code INIT_START}, then {@code body}. */
    static List<String> init(String... body) {
        List<String> lines = new ArrayList<>(INIT_START);
        lines.addAll(List.of(body));
        return lines;
    }

    /**
     * Builds the guest program {@code source} (a C file, relative to the cli module) with
     * {@code gcc -static} into {@code dir}, or skips {@code test} naming what is missing.
     */
    static Path staticProgram(String source, Path dir, String test) throws IOException, InterruptedException {
        Path c = Path.of(source).toAbsolutePath().normalize();
        assertTrue(Files.isRegularFile(c), "the source " + c);
        Path out = dir.resolve(c.getFileName().toString().replaceFirst("\\.c$", ""));
        Process gcc;
        try {
            gcc = new ProcessBuilder("gcc", "-static", "-O2", "-o", out.toString(), c.toString())
                    .redirectErrorStream(true).start();
        } catch (IOException e) {
            assumeTrue(false, test + " SKIPPED: no gcc (apt-get install gcc libc6-dev)");
            throw e;
        }
        String log = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(gcc.waitFor(TestTime.seconds(120).toMillis(), TimeUnit.MILLISECONDS) && gcc.exitValue() == 0,
                "gcc -static " + c.getFileName() + ": " + log);
        return out;
    }

    /** One finished boot: how {@code jvmm run} ended, what COM1 received, how long it took. */
    record Boot(JvmmProcess run, String console, double seconds) {
        List<String> facts() {
            return console.lines().filter(l -> l.startsWith("JVMM-")).toList();
        }

        /** The first {@code JVMM-FACT key...} line, or a placeholder that names the missing key. */
        String fact(String key) {
            return facts().stream().filter(l -> l.startsWith("JVMM-FACT " + key)).findFirst()
                    .orElse("(no fact '" + key + "')");
        }

        /** The console's last 4000 characters, the exit code and jvmm's stderr: for assertion messages. */
        String why() {
            String tail = console.length() <= 4000 ? console : "..." + console.substring(console.length() - 4000);
            return "\n" + tail + "\n(exit " + run.exitCode() + ", stderr: " + run.err() + ")";
        }

        /** jvmm's one line about how the run ended. */
        String ending() {
            return run.err().lines().filter(l -> l.startsWith("jvmm: the guest ")).findFirst().orElse("(no ending line)");
        }
    }

    /**
     * Runs {@code jvmm run --kernel kernel --initrd initrd --cmdline cmdline --memory 512M --serial
     * 1=file=DIR/com1.out args...} to its end (with {@code --manifest} in {@code args}, the manifest
     * must send COM1 to {@link #com1(Path)}); {@code whileRunning} is called once COM1 has received
     * {@code waitFor} (if not null), with the console so far.
     */
    static Boot boot(Path dir, Path kernel, Path initrd, String cmdline, List<String> args, String waitFor,
            Consumer<String> whileRunning) throws IOException, InterruptedException {
        return boot(dir, kernel, initrd, cmdline, List.of(), args, waitFor, whileRunning);
    }

    /** {@link #boot(Path, Path, Path, String, List, String, Consumer)} with JVM options for jvmm (e.g. a log level). */
    static Boot boot(Path dir, Path kernel, Path initrd, String cmdline, List<String> jvmOptions, List<String> args,
            String waitFor, Consumer<String> whileRunning) throws IOException, InterruptedException {
        return boot(dir, kernel, initrd, cmdline, List.of(), jvmOptions, args, waitFor, whileRunning);
    }

    /**
     * {@link #boot(Path, Path, Path, String, List, List, String, Consumer)} with jvmm's command line
     * after {@code prefix} (e.g. a script that sets up a network namespace and then runs its
     * arguments).
     */
    static Boot boot(Path dir, Path kernel, Path initrd, String cmdline, List<String> prefix, List<String> jvmOptions,
            List<String> args, String waitFor, Consumer<String> whileRunning) throws IOException, InterruptedException {
        Path com1 = com1(dir);
        List<String> jvmm = new ArrayList<>(List.of("run", "--kernel", kernel.toString(), "--initrd", initrd.toString(),
                "--cmdline", cmdline, "--memory", "512M"));
        if (!args.contains("--manifest")) {
            jvmm.addAll(List.of("--serial", "1=file=" + com1)); // a manifest names COM1's file itself
        }
        jvmm.addAll(args);
        Path out = dir.resolve("child.out");
        Path err = dir.resolve("child.err");
        long start = System.nanoTime();
        List<String> command = new ArrayList<>(prefix);
        command.addAll(JvmmProcess.command(jvmOptions, jvmm.toArray(String[]::new)));
        Process p = new ProcessBuilder(command)
                .directory(dir.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        long deadline = start + bootTimeout().toNanos();
        try {
            if (waitFor != null) {
                String seen = read(com1);
                while (!seen.contains(waitFor) && p.isAlive() && System.nanoTime() < deadline) {
                    Thread.sleep(200); // polling a file the child writes: there is nothing to wait on
                    seen = read(com1);
                }
                if (seen.contains(waitFor) && p.isAlive()) {
                    whileRunning.accept(seen);
                }
            }
            long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
            if (!p.waitFor(left, TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                String console = read(com1);
                throw new AssertionError("jvmm run did not end within " + bootTimeout() + "; stderr: "
                        + Files.readString(err, StandardCharsets.UTF_8) + "\nCOM1 so far:\n"
                        + (console.length() <= 4000 ? console : "..." + console.substring(console.length() - 4000)));
            }
        } finally {
            if (p.isAlive()) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        JvmmProcess run = new JvmmProcess(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
        return new Boot(run, read(com1), seconds);
    }

    /** {@link #boot(Path, Path, Path, String, List, String, Consumer)} with nothing to do while it runs. */
    static Boot boot(Path dir, Path kernel, Path initrd, String cmdline, String... args)
            throws IOException, InterruptedException {
        return boot(dir, kernel, initrd, cmdline, List.of(args), null, s -> { });
    }

    /** No extra files in the initramfs. */
    static Map<String, Path> noFiles() {
        return new LinkedHashMap<>();
    }

    /** Where a boot in {@code dir} finds COM1's output. */
    static Path com1(Path dir) {
        return dir.resolve("com1.out");
    }

    private static String read(Path com1) throws IOException {
        return Files.exists(com1) ? Files.readString(com1, StandardCharsets.ISO_8859_1) : "";
    }
}
