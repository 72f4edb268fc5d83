package io.jvmm.runtime.sandbox;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

/**
 * The sandbox guest's initramfs, assembled from packages on the host (never a prebuilt image): a
 * static busybox with its applet links, the guest agent as {@code /sbin/jvmm-agent}, the Debian
 * kernel's modules the sandbox devices need (virtio-pci, vsock, virtio-blk) with their
 * dependencies, and a minimal {@code /init} that mounts the kernel file systems, loads the modules
 * in dependency order and execs the agent as PID 1 (docs/sandbox-protocol.md).
 */
public final class SandboxImage {
    /**
     * The modules every sandbox loads (with their dependencies, from modules.dep): the virtio-PCI
     * transport jvmm's virtio devices sit on; the socket device the agent talks over (virtio 1.2
     * §5.10); the block device for {@code --disk}. Modules the kernel has built in are skipped.
     */
    public static final List<String> BASE_MODULES = List.of(
            "virtio_pci", "vsock", "vmw_vsock_virtio_transport_common", "vmw_vsock_virtio_transport", "virtio_blk");

    /** Where the agent goes in the image (/init execs it). */
    public static final String AGENT_PATH = "sbin/jvmm-agent";

    /** Where the modules go in the image, flat, as {@code NAME.ko}. */
    static final String MODULE_DIR = "lib/modules";

    /** What /init prints (with the module name and insmod's reason) when a module does not load. */
    static final String MODULE_FAILED = "jvmm-init: module not loaded, continuing:";

    /** Where a distribution installs its kernels' modules. */
    static final Path SYSTEM_MODULES = Path.of("/lib/modules");

    private static final Pattern TRANSPORT = Pattern.compile("vsock:[0-9]{1,10}|serial:/dev/ttyS[0-9]{1,2}");

    private SandboxImage() {}

    /**
     * What an image is made of.
     *
     * @param kernel the bzImage the image is for (its modules must match it)
     * @param modulesDir the kernel's {@code lib/modules/<release>} directory, holding modules.dep
     * @param busybox a statically linked busybox (Debian's busybox-static: {@code /bin/busybox})
     * @param agent the static guest agent binary, installed as {@code /sbin/jvmm-agent}
     * @param extraModules more modules to load after {@link #BASE_MODULES} (names as in modules.dep
     *     without {@code .ko}, e.g. {@code virtio_net}); their dependencies come along
     */
    public record Sources(Path kernel, Path modulesDir, Path busybox, Path agent, List<String> extraModules) {
        public Sources {
            if (kernel == null || modulesDir == null || busybox == null || agent == null) {
                throw new IllegalArgumentException("a sandbox image needs a kernel, its modules directory, busybox"
                        + " and the agent");
            }
            extraModules = List.copyOf(extraModules == null ? List.of() : extraModules);
        }

        /**
         * The sources for the kernel {@code kernel}, its modules found by its name's release:
         * beside it as cli/src/test/linux/fetch-kernel.sh leaves them ({@code DIR/vmlinuz-R} with
         * {@code DIR/linux-image-R/lib/modules/R/}), else the host's {@code /lib/modules/R} (a
         * distribution kernel from /boot); {@code /bin/busybox} and {@code agent}; no extra modules.
         *
         * @throws IllegalArgumentException naming what is missing and how to get it
         */
        public static Sources forKernel(Path kernel, Path agent) {
            return forKernel(kernel, null, agent, SYSTEM_MODULES);
        }

        /**
         * As {@link #forKernel(Path, Path)} with the modules directory given ({@code jvmm exec
         * --modules}: a {@code lib/modules/<release>} directory holding modules.dep), or found as
         * there when {@code modulesDir} is null.
         */
        public static Sources forKernel(Path kernel, Path modulesDir, Path agent) {
            return forKernel(kernel, modulesDir, agent, SYSTEM_MODULES);
        }

        /** {@code systemModules} stands for /lib/modules (tests). */
        static Sources forKernel(Path kernel, Path modulesDir, Path agent, Path systemModules) {
            if (kernel == null || !Files.isRegularFile(kernel)) {
                throw new IllegalArgumentException("sandbox kernel " + kernel + " is not a file;"
                        + " cli/src/test/linux/fetch-kernel.sh fetches the Debian amd64 kernel and its modules");
            }
            Path modules;
            if (modulesDir != null) {
                if (!Files.isRegularFile(modulesDir.resolve("modules.dep"))) {
                    throw new IllegalArgumentException("kernel modules directory " + modulesDir + " (--modules) has no"
                            + " modules.dep: give the kernel's lib/modules/<release> directory (run depmod there if it"
                            + " is a tree of your own)");
                }
                modules = modulesDir;
            } else {
                String name = kernel.getFileName().toString();
                if (!name.matches("(vmlinuz|vmlinux)-.+")) {
                    throw new IllegalArgumentException("sandbox kernel " + kernel + ": cannot tell its release from the"
                            + " name (expected vmlinuz-<release>, as fetch-kernel.sh and /boot name it); give its"
                            + " modules with --modules DIR (the kernel's lib/modules/<release> directory)");
                }
                String release = name.substring(name.indexOf('-') + 1);
                Path beside = kernel.toAbsolutePath().resolveSibling("linux-image-" + release)
                        .resolve("lib/modules").resolve(release);
                Path system = systemModules.resolve(release);
                if (Files.isRegularFile(beside.resolve("modules.dep"))) {
                    modules = beside;
                } else if (Files.isRegularFile(system.resolve("modules.dep"))) {
                    modules = system;
                } else {
                    throw new IllegalArgumentException("no kernel modules for " + kernel + ": neither "
                            + beside.resolve("modules.dep") + " (cli/src/test/linux/fetch-kernel.sh extracts the kernel"
                            + " package there) nor " + system.resolve("modules.dep") + " exists; give them with"
                            + " --modules DIR (the kernel's lib/modules/<release> directory)");
                }
            }
            Path busybox = Path.of("/bin/busybox");
            if (!Files.isRegularFile(busybox) || !Files.isExecutable(busybox)) {
                throw new IllegalArgumentException("no " + busybox + " for the sandbox image;"
                        + " install a static busybox (apt-get install busybox-static)");
            }
            if (agent == null || !Files.isRegularFile(agent)) {
                throw new IllegalArgumentException("the sandbox agent " + agent + " is not a file;"
                        + " build agent/jvmm-agent.c (gcc -static)");
            }
            return new Sources(kernel, modules, busybox, agent, List.of());
        }
    }

    /**
     * Writes the image for {@code sources} to {@code initramfs} (an uncompressed newc cpio; written
     * to a temporary file beside it and moved into place, so a failure leaves no half image).
     *
     * @throws IllegalArgumentException if a module is unknown, modules.dep is inconsistent, or a
     *     module is compressed in a way the JDK cannot undo (xz, zstd)
     * @throws IOException if a source cannot be read, busybox cannot list its applets, or the image
     *     cannot be written
     */
    public static void assemble(Sources sources, Path initramfs) throws IOException {
        List<String> modules = modules(sources);
        List<String> applets = applets(sources.busybox());
        Path parent = initramfs.toAbsolutePath().getParent();
        Path part = Files.createTempFile(parent, initramfs.getFileName().toString(), ".part");
        try {
            // readable by all (createTempFile makes it 0600): another user's VMM, or QEMU, may boot it
            Files.setPosixFilePermissions(part, PosixFilePermissions.fromString("rw-r--r--"));
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(part), 1 << 16)) {
                Initramfs cpio = new Initramfs(out);
                for (String d : List.of("bin", "sbin", "usr", "usr/bin", "usr/sbin", "dev", "proc", "sys", "tmp", "run",
                        "lib", MODULE_DIR, "root", "etc")) {
                    cpio.directory(d);
                }
                // the kernel opens init's stdio on /dev/console in rootfs, before /init mounts devtmpfs
                cpio.characterDevice("dev/console", 5, 1);
                cpio.file("bin/busybox", 0755, Files.readAllBytes(sources.busybox()));
                for (String applet : applets) {
                    cpio.symlink(applet, "/bin/busybox");
                }
                cpio.file(AGENT_PATH, 0755, Files.readAllBytes(sources.agent()));
                List<String> names = new ArrayList<>();
                for (String module : modules) {
                    String name = ModulesDep.nameOf(module);
                    names.add(name);
                    cpio.file(MODULE_DIR + "/" + name + ".ko", 0644, moduleBytes(sources.modulesDir().resolve(module)));
                }
                cpio.file("init", 0755, init(names).getBytes(StandardCharsets.US_ASCII));
                cpio.finish();
            }
            Files.move(part, initramfs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(part);
        }
    }

    /**
     * The version of what {@link #assemble} writes (the directories, file modes, links, /init's
     * shape): part of the cache key, raised whenever assemble changes what it makes from the same
     * sources.
     */
    static final int LAYOUT_VERSION = 1;

    /**
     * The image for {@code sources} in the cache directory {@code cacheDir} (made if missing),
     * assembled only when the cache does not hold it yet: {@code sandbox-KEY.cpio}, KEY the SHA-256
     * of {@link #LAYOUT_VERSION}, the absolute path, size and modification time of busybox, the
     * agent and every module file, and the /init text. A change to any of them is a new key (old
     * images stay until the cache directory is cleared). Written to a temporary file and renamed,
     * so concurrent callers and a crash leave no half image.
     *
     * @throws IllegalArgumentException as {@link #assemble}
     * @throws IOException as {@link #assemble}, or if the cache directory cannot be made
     */
    public static Path cached(Sources sources, Path cacheDir) throws IOException {
        Path image = cacheDir.resolve("sandbox-" + cacheKey(sources) + ".cpio");
        if (Files.isRegularFile(image)) {
            return image;
        }
        Files.createDirectories(cacheDir);
        assemble(sources, image);
        return image;
    }

    /** The hex SHA-256 that names {@code sources}' image in a cache (see {@link #cached}). */
    static String cacheKey(Sources sources) throws IOException {
        List<String> modules = modules(sources);
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
        StringBuilder what = new StringBuilder("jvmm-sandbox-image ").append(LAYOUT_VERSION).append('\n');
        describe(what, "busybox", sources.busybox());
        describe(what, "agent", sources.agent());
        List<String> names = new ArrayList<>();
        for (String module : modules) {
            describe(what, "module", sources.modulesDir().resolve(module));
            names.add(ModulesDep.nameOf(module));
        }
        what.append("init\n").append(init(names));
        return HexFormat.of().formatHex(sha.digest(what.toString().getBytes(StandardCharsets.UTF_8)));
    }

    private static void describe(StringBuilder what, String role, Path file) throws IOException {
        Path abs = file.toAbsolutePath().normalize();
        BasicFileAttributes a = Files.readAttributes(abs, BasicFileAttributes.class);
        what.append(role).append(' ').append(abs.toString().length()).append(':').append(abs).append(' ')
                .append(a.size()).append(' ').append(a.lastModifiedTime().to(TimeUnit.NANOSECONDS)).append('\n');
    }

    /**
     * The kernel command line for a sandbox whose agent uses {@code agentTransport}
     * ({@code vsock:1024} or {@code serial:/dev/ttyS1}, docs/sandbox-protocol.md).
     */
    public static String commandLine(String agentTransport) {
        if (agentTransport == null || !TRANSPORT.matcher(agentTransport).matches()) {
            throw new IllegalArgumentException("sandbox agent transport " + agentTransport
                    + ": expected vsock:PORT or serial:/dev/ttySN (e.g. vsock:1024, serial:/dev/ttyS1)");
        }
        return String.join(" ", BOOT_OPTIONS) + " jvmm.agent=" + agentTransport;
    }

    /**
     * The kernel options, each there for a reason. The fast-boot ones were measured one by one in the
     * nested-KVM L1 (Debian 6.1, an L2 guest under jvmm; the guest's CLOCK_BOOTTIME when the agent
     * starts, medians of 5; README "Sandbox images"): each left out of the final set in turn (final
     * set: 2041 ms) and the guest booted again; the figure is what leaving it out cost. Options that
     * did not pay were left out: {@code tsc=reliable} (77 ms) and {@code no_timer_check} (97 ms),
     * within the noise; {@code random.trust_cpu=on} (Debian's kernel trusts RDRAND already);
     * {@code i8042.noaux/nokbd} (jvmm's default board has no i8042, which the driver learns from ACPI
     * at no cost).
     */
    static final List<String> BOOT_OPTIONS = List.of(
            // the kernel console on COM1, where jvmm's serial backend shows it
            "console=ttyS0",
            // a panic (or PID 1 dying) reboots at once instead of hanging; with jvmm's --on-reset exit the
            // host sees the end
            "panic=-1",
            // console loglevel 4: errors (and worse) still reach the console, the rest stays in the log
            // buffer. Each console byte is a 16550 exit or more: about 23 KB of boot log cost 2.9 s of
            // the 5.4 s boot (measured once: 5391 ms without, 2639 ms median with)
            "quiet",
            // register (and probe) only COM1 and COM2 (the agent's serial transport), not COM3/COM4:
            // 166 ms by the medians, 94 ms by the means, the edge of the noise; kept because nothing in
            // a sandbox uses COM3/COM4
            "8250.nr_uarts=2",
            // no self-tests of every built-in crypto algorithm at registration: 320 ms
            "cryptomgr.notests",
            // with one vCPU, keep the SMP lock prefixes instead of patching them all out at boot: 328 ms
            "noreplace-smp",
            // the CTR-KDF self-test, which runs at boot whatever cryptomgr.notests says (its module init
            // does nothing else): 95.7 ms by initcall_debug; the kernel logs "initcall ... blacklisted"
            "initcall_blacklist=crypto_kdf108_init");

    /** The module files (relative to the modules directory) to load, in order. */
    static List<String> modules(Sources sources) throws IOException {
        Path dep = sources.modulesDir().resolve("modules.dep");
        if (!Files.isRegularFile(dep)) {
            throw new IllegalArgumentException("no " + dep + ": the modules directory must be the kernel package's"
                    + " lib/modules/<release>");
        }
        Path builtin = sources.modulesDir().resolve("modules.builtin");
        ModulesDep modules = ModulesDep.parse(Files.readString(dep, StandardCharsets.UTF_8),
                Files.isRegularFile(builtin) ? Files.readString(builtin, StandardCharsets.UTF_8) : "", dep.toString());
        Set<String> wanted = new LinkedHashSet<>(BASE_MODULES);
        wanted.addAll(sources.extraModules());
        return modules.loadOrder(wanted);
    }

    /**
     * A module's ELF bytes. Debian 12's kernel ships plain {@code .ko} files; a {@code .ko.gz} is
     * unpacked here (the JDK has gzip), {@code .ko.xz}/{@code .ko.zst} are refused because the JDK
     * cannot decompress them and busybox's insmod does not.
     */
    private static byte[] moduleBytes(Path file) throws IOException {
        String name = file.getFileName().toString();
        if (name.endsWith(".ko.gz")) {
            try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
                return in.readAllBytes();
            }
        }
        if (name.endsWith(".ko.xz") || name.endsWith(".ko.zst")) {
            throw new IllegalArgumentException("kernel module " + file + " is compressed ("
                    + name.substring(name.lastIndexOf('.') + 1) + "), which jvmm cannot unpack (the JDK has no xz or"
                    + " zstd); decompress the modules tree first (unxz / unzstd the .ko files and run depmod)");
        }
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("kernel module " + file + " is listed in modules.dep but missing");
        }
        return Files.readAllBytes(file);
    }

    /**
     * The busybox applets as image paths ({@code bin/sh}, {@code usr/bin/env}, ...): links in the
     * archive cost the boot nothing, unlike {@code busybox --install} in /init. Asks the static
     * binary itself ({@code --list-full}); only the directories the image has are kept.
     */
    static List<String> applets(Path busybox) throws IOException {
        Process p = new ProcessBuilder(busybox.toString(), "--list-full").redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IOException(busybox + " --list-full failed (is it a busybox?): " + out.strip());
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while asking " + busybox + " for its applets", e);
        }
        List<String> applets = new ArrayList<>();
        for (String line : out.split("\n")) {
            String applet = line.strip();
            if (applet.matches("(bin|sbin|usr/bin|usr/sbin)/[A-Za-z0-9_.\\[\\]+-]+") && !applet.equals("bin/busybox")) {
                applets.add(applet);
            }
        }
        if (!applets.contains("bin/sh")) {
            throw new IOException(busybox + " --list-full lists no bin/sh: /init needs busybox's shell");
        }
        return applets;
    }

    /**
     * The /init script: mount what the agent needs, load the modules (a failure is one line on the
     * console, then the next module), exec the agent as PID 1. Every line is on the boot path.
     */
    static String init(List<String> moduleNames) {
        StringBuilder s = new StringBuilder();
        s.append("#!/bin/sh\n");
        s.append("export PATH=/bin:/sbin:/usr/bin:/usr/sbin\n");
        s.append("mount -t proc proc /proc\n");
        s.append("mount -t sysfs sysfs /sys\n");
        s.append("mount -t devtmpfs devtmpfs /dev\n");
        s.append("mount -t tmpfs tmpfs /tmp\n");
        s.append("mount -t tmpfs tmpfs /run\n");
        for (String m : moduleNames) {
            s.append("e=$(insmod /").append(MODULE_DIR).append('/').append(m).append(".ko 2>&1) || echo \"")
                    .append(MODULE_FAILED).append(' ').append(m).append(": $e\"\n");
        }
        s.append("exec /").append(AGENT_PATH).append('\n');
        return s.toString();
    }
}
