package io.jvmm.cli;

import io.jvmm.runtime.loader.ConfigurationException;
import io.jvmm.runtime.loader.MachineConfig;
import io.jvmm.runtime.registry.PluginLayer;
import io.jvmm.runtime.registry.ResolverRegistry;
import io.jvmm.runtime.sandbox.AgentErrorException;
import io.jvmm.runtime.sandbox.Command;
import io.jvmm.runtime.sandbox.ExecResult;
import io.jvmm.runtime.sandbox.Sandbox;
import io.jvmm.runtime.sandbox.SandboxException;
import io.jvmm.runtime.sandbox.SandboxImage;
import io.jvmm.runtime.sandbox.SandboxSpec;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code jvmm exec}: boots a sandbox microVM (the kernel, an initramfs of busybox, the kernel's
 * virtio and vsock modules and {@code jvmm-agent}), copies files in, runs one command with its
 * output streamed to ours, copies files out, and powers the VM off; the exit code is the
 * command's.
 */
final class ExecCommand implements Callable<Integer> {
    /** timeout(1)'s exit code for a command that ran out of time. */
    static final int TIMED_OUT = 124;
    static final String KERNEL_ENV = "JVMM_SANDBOX_KERNEL";
    static final String AGENT_ENV = "JVMM_SANDBOX_AGENT";
    static final String AGENT_PROPERTY = "jvmm.sandbox.agent";
    /** The distribution's root directory, which bin/jvmm passes. */
    static final String HOME_PROPERTY = "jvmm.home";
    /** The largest file --get copies out. */
    static final long GET_LIMIT = 1L << 32;
    /** SandboxSpec's minimum. */
    static final long MIN_MEMORY = 32L << 20;

    Path kernel;
    Path modules;
    String memory = "512M";
    String cpus = "1";
    List<String> disks = new ArrayList<>();
    Double timeout;
    Double readyTimeout = 120.0;
    List<String> puts = new ArrayList<>();
    List<String> gets = new ArrayList<>();
    List<String> env = new ArrayList<>();
    String cwd = "";
    String stdinMode = "auto";
    String transport = "vsock";
    boolean profile;
    boolean noImageCache;
    Path log;
    List<String> command = new ArrayList<>();

    final PluginOptions plugins = new PluginOptions();

    final CommandSpec spec;

    /** The boot layer's providers, possibly being loaded already (see {@link Main#main}). */
    private final BootLayerProviders bootLayer;

    ExecCommand() {
        this(BootLayerProviders.onDemand());
    }

    ExecCommand(BootLayerProviders bootLayer) {
        this.bootLayer = bootLayer;
        spec = BoundOptions.command(this, "exec",
                "Run a command in a fresh microVM sandbox: boot the kernel with jvmm's agent as PID 1, copy "
                        + "files in (--put), run CMD with its stdout and stderr streamed here, copy files out "
                        + "(--get), power the VM off, and exit with CMD's exit code (128+N for signal N, 127 "
                        + "command not found, 126 not executable, 124 timed out).",
                "The kernel: --kernel or JVMM_SANDBOX_KERNEL, a Debian bzImage with its modules beside it "
                        + "(cli/src/test/linux/fetch-kernel.sh), in /lib/modules/RELEASE, or given with --modules.");
        spec.addOption(BoundOptions.value("--kernel", Path.class, () -> kernel, v -> kernel = v).paramLabel("FILE")
                .description("The sandbox kernel (default: $" + KERNEL_ENV + ").").build());
        spec.addOption(BoundOptions.value("--modules", Path.class, () -> modules, v -> modules = v).paramLabel("DIR")
                .description("The kernel's modules: its lib/modules/RELEASE directory (default: beside the kernel as "
                        + "fetch-kernel.sh lays it out, else /lib/modules/RELEASE for a kernel named vmlinuz-RELEASE).")
                .build());
        spec.addOption(BoundOptions.value("--memory", String.class, () -> memory, v -> memory = v).paramLabel("SIZE")
                .description("Guest memory (default: ${DEFAULT-VALUE}).").build());
        spec.addOption(BoundOptions.value("--cpus", String.class, () -> cpus, v -> cpus = v).paramLabel("N")
                .description("vCPUs (default: ${DEFAULT-VALUE}).").build());
        spec.addOption(BoundOptions.list("--disk", String.class, () -> disks, v -> disks = v).paramLabel("FILE[,ro]")
                .description("A raw image as a virtio disk (/dev/vda, /dev/vdb, ... in order); repeatable.").build());
        spec.addOption(BoundOptions.value("--timeout", Double.class, () -> timeout, v -> timeout = v).paramLabel("S")
                .description("Kill CMD after S seconds and exit 124.").build());
        spec.addOption(BoundOptions.value("--ready-timeout", Double.class, () -> readyTimeout, v -> readyTimeout = v)
                .paramLabel("S").description("How long the guest may take to boot to its agent (default: "
                        + "${DEFAULT-VALUE} s).").build());
        spec.addOption(BoundOptions.list("--put", String.class, () -> puts, v -> puts = v).paramLabel("HOST:GUEST")
                .description("Copy a host file into the guest before CMD (its permission bits kept); repeatable.")
                .build());
        spec.addOption(BoundOptions.list("--get", String.class, () -> gets, v -> gets = v).paramLabel("GUEST:HOST")
                .description("Copy a guest file out after CMD (also when CMD failed); repeatable.").build());
        spec.addOption(BoundOptions.list("--env", String.class, () -> env, v -> env = v).paramLabel("KEY=VALUE")
                .description("Add to CMD's environment (PATH, HOME=/root and TERM=dumb by default); repeatable.")
                .build());
        spec.addOption(BoundOptions.value("--cwd", String.class, () -> cwd, v -> cwd = v).paramLabel("DIR")
                .description("CMD's working directory in the guest (default: /).").build());
        spec.addOption(BoundOptions.value("--stdin", String.class, () -> stdinMode, v -> stdinMode = v)
                .paramLabel("auto|yes|no").description("Pass our stdin to CMD: auto (default) does unless stdin is a "
                        + "terminal; no gives CMD /dev/null.").build());
        spec.addOption(BoundOptions.value("--transport", String.class, () -> transport, v -> transport = v)
                .paramLabel("vsock|serial").description("How the agent talks to jvmm: vsock (default) or serial (COM2).")
                .build());
        spec.addOption(BoundOptions.flag("--no-image-cache", () -> noImageCache, v -> noImageCache = v)
                .description("Assemble the sandbox image afresh in a temporary file instead of using the cache in "
                        + "$XDG_CACHE_HOME/jvmm/sandbox (default ~/.cache/jvmm/sandbox).").build());
        spec.addOption(BoundOptions.flag("--profile", () -> profile, v -> profile = v)
                .description("Print the start-up phases up to 'agent ready' on stderr.").build());
        spec.addOption(BoundOptions.value("--log", Path.class, () -> log, v -> log = v).paramLabel("FILE")
                .description("Write jvmm's logs to FILE instead of stderr.").build());
        plugins.addTo(spec);
        spec.addPositional(BoundOptions.positionals("0..*", String.class, () -> command, v -> command = v)
                .paramLabel("CMD").description("The command and its arguments (after --).").build());
        BoundOptions.addStandardHelpOptions(spec);
    }

    /** A --put or --get: the two sides of its colon. */
    record Copy(String host, String guest) {}

    @Override
    public Integer call() {
        RunCommand.Profile timings = new RunCommand.Profile();
        Logging.configure(log);
        PrintWriter err = spec.commandLine().getErr();
        if (command.isEmpty()) {
            throw UserError.config("exec: no command: give it after --, e.g. jvmm exec -- uname -a");
        }
        Path kernelFile = kernelFile();
        MachineConfig size;
        try {
            size = MachineConfig.parse(memory, cpus, Integer.MAX_VALUE);
        } catch (ConfigurationException e) {
            throw UserError.config(e.getMessage());
        }
        if (size.memoryBytes() < MIN_MEMORY) {
            throw UserError.config("--memory " + memory + ": a sandbox needs at least 32M (the kernel, its modules and "
                    + "the initramfs unpacked in RAM)");
        }
        SandboxSpec.Transport how = switch (transport.toLowerCase(Locale.ROOT)) {
            case "vsock" -> SandboxSpec.Transport.VSOCK;
            case "serial" -> SandboxSpec.Transport.SERIAL;
            default -> throw UserError.config("--transport: expected vsock or serial, not '" + transport + "'");
        };
        boolean passStdin = switch (stdinMode.toLowerCase(Locale.ROOT)) {
            case "auto" -> !stdinIsTerminal();
            case "yes" -> true;
            case "no" -> false;
            default -> throw UserError.config("--stdin: expected auto, yes or no, not '" + stdinMode + "'");
        };
        Duration limit = seconds("--timeout", timeout);
        Duration ready = seconds("--ready-timeout", readyTimeout);
        List<Copy> in = copies("--put", puts, true);
        List<Copy> out = copies("--get", gets, false);
        for (Copy c : in) {
            if (!Files.isRegularFile(Path.of(c.host())) || !Files.isReadable(Path.of(c.host()))) {
                throw UserError.config("--put " + c.host() + ":" + c.guest() + ": " + c.host() + " is not a readable file");
            }
        }
        for (Copy c : out) {
            checkGetTarget(c);
        }
        List<SandboxSpec.Disk> diskList = new ArrayList<>();
        for (String d : disks) {
            boolean ro = d.endsWith(",ro");
            Path image = Path.of(ro ? d.substring(0, d.length() - 3) : d);
            if (!Files.isRegularFile(image)) {
                throw UserError.config("--disk " + d + ": " + image + " is not a file");
            }
            diskList.add(new SandboxSpec.Disk(image, ro));
        }
        Command cmd;
        try {
            cmd = Command.of(command).withCwd(cwd);
            for (String e : env) {
                if (e.indexOf('=') < 1) {
                    throw UserError.config("--env " + e + ": expected KEY=VALUE");
                }
                cmd = cmd.withEnvEntry(e);
            }
        } catch (IllegalArgumentException e) {
            throw UserError.config("exec: " + e.getMessage());
        }
        if (limit != null) {
            cmd = cmd.withTimeout(limit);
        }
        if (passStdin) {
            cmd = cmd.withStdin(new FileInputStream(FileDescriptor.in));
        }
        Path agent = agentBinary();

        Path work;
        try {
            // /tmp: the sandbox's vsock sockets are made in here, and a Unix socket's path must be short
            work = Files.createTempDirectory(Path.of("/tmp"), "jvmm-exec");
        } catch (IOException e) {
            throw UserError.vm("exec: cannot create a temporary directory in /tmp: " + e.getMessage());
        }
        // a signal to jvmm (Ctrl-C, timeout(1)'s SIGTERM) from here on must not leave the VM running
        // nor a temporary file: the JVM halts once its hooks ran, whatever the main thread was doing
        AtomicReference<Sandbox> started = new AtomicReference<>();
        Thread onSignal = new Thread(() -> {
            Sandbox s = started.get();
            if (s != null) {
                s.close();
            }
            deleteTree(work);
        }, "jvmm-exec-signal");
        Runtime.getRuntime().addShutdownHook(onSignal);
        try {
            Path initramfs = null;
            Path tempImage = null;
            try {
                SandboxImage.Sources sources = SandboxImage.Sources.forKernel(kernelFile, modules, agent);
                Path cacheDir = noImageCache ? null : imageCacheDir();
                if (cacheDir != null) {
                    try {
                        initramfs = SandboxImage.cached(sources, cacheDir);
                    } catch (IOException e) {
                        // the cache directory is not writable (or full): a temporary image does it
                        System.getLogger(ExecCommand.class.getName()).log(System.Logger.Level.DEBUG,
                                "sandbox image cache " + cacheDir + " not usable: " + e.getMessage());
                    }
                }
                if (initramfs == null) {
                    tempImage = work.resolve("sandbox.cpio");
                    SandboxImage.assemble(sources, tempImage);
                    initramfs = tempImage;
                }
            } catch (IllegalArgumentException e) {
                throw UserError.config("exec: " + e.getMessage());
            } catch (IOException e) {
                throw UserError.vm("exec: cannot assemble the sandbox image: " + e.getMessage());
            }
            timings.mark(tempImage == null ? "sandbox image ready (" + initramfs + ")" : "sandbox image assembled");
            PluginLayer layer = plugins.load();
            ResolverRegistry providers = bootLayer.resolvers(layer);
            SandboxSpec.Builder builder = SandboxSpec.builder(kernelFile, initramfs)
                    .cmdline(SandboxImage.commandLine(how.agentArgument())).transport(how)
                    .memoryBytes(size.memoryBytes()).vcpus(size.vcpuCount()).readyTimeout(ready)
                    .layer(layer.layer()).providers(providers).name("sandbox").phases(timings::mark)
                    .socketParent(work);
            for (SandboxSpec.Disk d : diskList) {
                builder.disk(d.image(), d.readOnly());
            }
            SandboxSpec sandboxSpec;
            try {
                sandboxSpec = builder.build();
            } catch (IllegalArgumentException e) {
                throw UserError.config("exec: " + e.getMessage()); // e.g. less memory than a sandbox needs
            }
            return run(sandboxSpec, started, tempImage, cmd, in, out, limit, timings, err);
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(onSignal);
                deleteTree(work);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs: it closes the sandbox and deletes the work directory
            }
        }
    }

    private int run(SandboxSpec sandboxSpec, AtomicReference<Sandbox> started, Path tempImage, Command cmd,
            List<Copy> in, List<Copy> out, Duration limit, RunCommand.Profile timings, PrintWriter err) {
        Sandbox sandbox;
        try {
            sandbox = Sandbox.start(sandboxSpec);
        } catch (SandboxException e) {
            throw UserError.vm("exec: " + e.getMessage());
        }
        started.set(sandbox);
        try (sandbox) {
            deleteQuietly(tempImage); // Sandbox.start read it into memory before it launched the VM
            if (profile) {
                timings.print(err);
            }
            for (Copy c : in) {
                try {
                    sandbox.put(Path.of(c.host()), c.guest());
                } catch (SandboxException e) {
                    throw UserError.vm("exec: --put " + c.host() + ":" + c.guest() + ": " + e.getMessage());
                }
            }
            ExecResult result;
            OutputStream stdout = new FileOutputStream(FileDescriptor.out);
            OutputStream stderr = new FileOutputStream(FileDescriptor.err);
            try {
                err.flush();
                result = sandbox.exec(cmd, stdout, stderr);
            } catch (SandboxException e) {
                throw UserError.vm("exec: " + e.getMessage());
            }
            int status = result.exitCode();
            if (result.ending() instanceof ExecResult.NotStarted ns) {
                err.println("jvmm exec: " + ns.message());
            }
            if (result.timedOut()) {
                err.println("jvmm exec: timed out after " + format(limit) + " s");
                status = TIMED_OUT;
            }
            for (Copy c : out) {
                try {
                    sandbox.get(c.guest(), Path.of(c.host()), GET_LIMIT);
                } catch (AgentErrorException e) {
                    err.println("jvmm exec: --get " + c.guest() + ":" + c.host() + ": " + e.getMessage());
                    status = status == 0 ? Main.VM_ERROR : status;
                } catch (SandboxException e) {
                    // reported, and the other --gets still tried (each fails fast if the connection is gone)
                    err.println("jvmm exec: --get " + c.guest() + ":" + c.host() + ": " + e.getMessage());
                    status = status == 0 ? Main.VM_ERROR : status;
                }
            }
            err.flush();
            return status;
        }
    }

    private static void deleteQuietly(Path p) {
        if (p == null) {
            return;
        }
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            // the work directory's deletion tries again
        }
    }

    /** $XDG_CACHE_HOME/jvmm/sandbox, else ~/.cache/jvmm/sandbox; null when neither can be told. */
    static Path imageCacheDir() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()) { // the XDG spec: a relative one is ignored
            return Path.of(xdg, "jvmm", "sandbox");
        }
        String home = System.getProperty("user.home");
        if (home == null || home.isBlank() || home.equals("?")) {
            return null;
        }
        return Path.of(home, ".cache", "jvmm", "sandbox");
    }

    private Path kernelFile() {
        Path k = kernel;
        if (k == null) {
            String fromEnv = System.getenv(KERNEL_ENV);
            if (fromEnv == null || fromEnv.isBlank()) {
                throw UserError.config("exec: no sandbox kernel: give --kernel FILE or set " + KERNEL_ENV
                        + " (cli/src/test/linux/fetch-kernel.sh fetches the Debian amd64 kernel and its modules)");
            }
            k = Path.of(fromEnv);
        }
        if (!Files.isRegularFile(k)) {
            throw UserError.config("exec: the sandbox kernel " + k + " is not a file" + (kernel == null ? " (from "
                    + KERNEL_ENV + ")" : "") + "; cli/src/test/linux/fetch-kernel.sh fetches one");
        }
        return k;
    }

    /**
     * The agent binary: {@code -Djvmm.sandbox.agent} or {@code JVMM_SANDBOX_AGENT}, else where the
     * build put it: {@code libexec/jvmm-agent} of the distribution ({@code -Djvmm.home}, which
     * bin/jvmm sets; else beside the lib/ of jvmm's jar), or of cli/target/jvmm when jvmm runs from
     * the build tree's classes.
     */
    static Path agentBinary() {
        String given = System.getProperty(AGENT_PROPERTY);
        if (given == null || given.isBlank()) {
            given = System.getenv(AGENT_ENV);
        }
        if (given != null && !given.isBlank()) {
            Path p = Path.of(given);
            if (!Files.isRegularFile(p)) {
                throw UserError.config("exec: the agent " + p + " (" + AGENT_ENV + ") is not a file");
            }
            return p;
        }
        Path expected = null;
        String home = System.getProperty(HOME_PROPERTY);
        if (home != null && !home.isBlank()) {
            // bin/jvmm names the distribution's root: with the bundled runtime jvmm's classes come
            // from the runtime image (a jrt: location), which says nothing about where libexec/ is
            expected = Path.of(home, "libexec", "jvmm-agent");
        } else {
            try {
                var source = ExecCommand.class.getProtectionDomain().getCodeSource();
                if (source != null && "file".equals(source.getLocation().getProtocol())) {
                    Path code = Path.of(source.getLocation().toURI());
                    Path parent = code.getParent();
                    expected = Files.isDirectory(code) && parent != null
                            ? parent.resolve("jvmm/libexec/jvmm-agent") // cli/target/classes → cli/target/jvmm
                            : parent == null || parent.getParent() == null ? null
                            : parent.getParent().resolve("libexec/jvmm-agent"); // DIST/lib/x.jar → DIST/libexec
                }
            } catch (URISyntaxException | IllegalArgumentException | SecurityException e) {
                expected = null;
            }
        }
        if (expected == null || !Files.isRegularFile(expected)) {
            throw UserError.config("exec: no agent" + (expected == null ? "" : " (" + expected + " is missing)")
                    + ": rebuild with gcc and libc6-dev installed (the build compiles agent/jvmm-agent.c), or set "
                    + AGENT_ENV);
        }
        return expected;
    }

    /** Whether fd 0 is a terminal: its /proc link names a tty (Java has no isatty). */
    static boolean stdinIsTerminal() {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/0")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty") || target.equals("/dev/console");
        } catch (IOException | UnsupportedOperationException e) {
            return System.console() != null;
        }
    }

    private static Duration seconds(String option, Double s) {
        if (s == null) {
            return null;
        }
        if (!(s > 0) || s > 1e6) {
            throw UserError.config(option + ": expected seconds greater than 0, not " + s);
        }
        return Duration.ofNanos(Math.round(s * 1e9));
    }

    private static String format(Duration d) {
        double s = d.toNanos() / 1e9;
        return s == Math.rint(s) ? Long.toString((long) s) : Double.toString(s);
    }

    private static List<Copy> copies(String option, List<String> values, boolean hostFirst) {
        List<Copy> out = new ArrayList<>();
        for (String v : values) {
            int colon = hostFirst ? v.lastIndexOf(":/") : v.indexOf(':');
            if (colon < 1 || colon == v.length() - 1) {
                throw UserError.config(option + " " + v + ": expected " + (hostFirst ? "HOST:GUEST" : "GUEST:HOST")
                        + " with an absolute guest path, e.g. " + option + (hostFirst ? " data.txt:/tmp/data.txt"
                        : " /tmp/out.txt:out.txt"));
            }
            String first = v.substring(0, colon);
            String second = v.substring(colon + 1);
            String guest = hostFirst ? second : first;
            if (!guest.startsWith("/")) {
                throw UserError.config(option + " " + v + ": the guest path " + guest + " must be absolute");
            }
            out.add(hostFirst ? new Copy(first, second) : new Copy(second, first));
        }
        return out;
    }

    /**
     * A --get's host path must be writable before the command runs (it is found out only
     * afterwards otherwise): its directory exists and is writable (the copy is written beside it and
     * renamed over it), and it is not a directory.
     */
    static void checkGetTarget(Copy c) {
        String option = "--get " + c.guest() + ":" + c.host();
        Path host = Path.of(c.host()).toAbsolutePath().normalize();
        if (Files.isDirectory(host)) {
            throw UserError.config(option + ": " + host + " is a directory: name the file to write, e.g. "
                    + host.resolve(Path.of(c.guest()).getFileName() == null ? "out" : Path.of(c.guest()).getFileName().toString()));
        }
        Path parent = host.getParent();
        if (parent == null || !Files.isDirectory(parent)) {
            throw UserError.config(option + ": the directory " + parent + " does not exist: create it first (mkdir -p "
                    + parent + ") or choose another path");
        }
        if (!Files.isWritable(parent)) {
            throw UserError.config(option + ": the directory " + parent + " is not writable (the copy is written there "
                    + "and renamed to " + host.getFileName() + "): choose a writable directory");
        }
        if (Files.exists(host) && !Files.isRegularFile(host)) {
            throw UserError.config(option + ": " + host + " exists and is not a regular file: choose another path");
        }
    }

    private static void deleteTree(Path dir) {
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // a temporary directory left behind is not worth failing the command for
        }
    }
}
