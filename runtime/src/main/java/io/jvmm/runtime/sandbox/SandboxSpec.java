package io.jvmm.runtime.sandbox;

import io.jvmm.runtime.registry.ResolverRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * What {@link Sandbox#start} boots: a kernel and an initramfs whose {@code /init} ends with
 * {@code exec /sbin/jvmm-agent} (from {@code SandboxImage} or any other assembly), the kernel
 * command line, the machine's size, the agent's transport, and the deadlines.
 *
 * @param kernel a bzImage or ELF vmlinux
 * @param initramfs the newc cpio with the agent
 * @param cmdline the kernel command line; {@code jvmm.agent=} is appended for the transport unless it is there
 * @param transport how the agent talks to the host
 * @param memoryBytes guest RAM
 * @param vcpus vCPUs
 * @param disks virtio block devices (vda, vdb, ... in order)
 * @param readyTimeout from launch to READY
 * @param shutdownTimeout from SHUTDOWN to the VM's end, before it is stopped hard
 * @param name the VM's name (its threads are NAME-vcpu-N, ...)
 * @param layer where the device plugins and the hypervisor backend are found
 * @param providers the resolvers of {@code layer}, or null to load them from it
 * @param hypervisor the backend's name, or null for the first available
 * @param phases told the name of each start-up phase as it ends (a boot profile), or null
 * @param socketParent where the sandbox makes its directory for the vsock sockets (a Unix socket's
 *     path must fit in 108 bytes); a caller that must clean up after a signal (when
 *     {@link Sandbox#start} has not returned yet) passes a directory of its own and deletes it
 */
public record SandboxSpec(Path kernel, Path initramfs, String cmdline, Transport transport, long memoryBytes, int vcpus,
        List<Disk> disks, Duration readyTimeout, Duration shutdownTimeout, String name, ModuleLayer layer,
        ResolverRegistry providers, String hypervisor, Consumer<String> phases, Path socketParent) {
    /** A command line for a quick, quiet boot on the sandbox's devices; COM1 is the console. */
    public static final String DEFAULT_CMDLINE = "console=ttyS0 panic=-1 nokaslr quiet";

    /** The agent's transport (docs/sandbox-protocol.md, Transport). */
    public enum Transport {
        /** virtio-vsock: the agent connects to CID 2 port 1024. */
        VSOCK("vsock:1024"),
        /** COM2 (/dev/ttyS1) in raw mode, its host side in this process. */
        SERIAL("serial:/dev/ttyS1");

        private final String agentArgument;

        Transport(String agentArgument) {
            this.agentArgument = agentArgument;
        }

        /** The value of {@code jvmm.agent=} on the kernel command line. */
        public String agentArgument() {
            return agentArgument;
        }
    }

    /** A raw disk image for a virtio block device. */
    public record Disk(Path image, boolean readOnly) {
        public Disk {
            Objects.requireNonNull(image, "image");
        }
    }

    public SandboxSpec {
        Objects.requireNonNull(kernel, "kernel");
        Objects.requireNonNull(initramfs, "initramfs");
        Objects.requireNonNull(cmdline, "cmdline");
        Objects.requireNonNull(transport, "transport");
        disks = List.copyOf(disks);
        Objects.requireNonNull(readyTimeout, "readyTimeout");
        Objects.requireNonNull(shutdownTimeout, "shutdownTimeout");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(layer, "layer");
        Objects.requireNonNull(socketParent, "socketParent");
        if (memoryBytes < (32L << 20)) {
            throw new IllegalArgumentException("a sandbox needs at least 32 MiB of memory, was " + memoryBytes + " bytes");
        }
        if (vcpus < 1) {
            throw new IllegalArgumentException("vcpus must be at least 1, was " + vcpus);
        }
    }

    /** The kernel command line the VM gets: {@link #cmdline()} with {@code jvmm.agent=} for the transport. */
    public String effectiveCmdline() {
        return cmdline.contains("jvmm.agent=") ? cmdline : (cmdline + " jvmm.agent=" + transport.agentArgument()).strip();
    }

    /** A builder with the defaults: 512 MiB, 1 vCPU, vsock, ready within 60 s, this module's layer. */
    public static Builder builder(Path kernel, Path initramfs) {
        return new Builder(kernel, initramfs);
    }

    /** Builds a {@link SandboxSpec}. */
    public static final class Builder {
        private final Path kernel;
        private final Path initramfs;
        private String cmdline = DEFAULT_CMDLINE;
        private Transport transport = Transport.VSOCK;
        private long memoryBytes = 512L << 20;
        private int vcpus = 1;
        private final List<Disk> disks = new ArrayList<>();
        private Duration readyTimeout = Duration.ofSeconds(60);
        private Duration shutdownTimeout = Duration.ofSeconds(30);
        private String name = "sandbox";
        private ModuleLayer layer = defaultLayer();
        private ResolverRegistry providers;
        private String hypervisor;
        private Consumer<String> phases;
        private Path socketParent = Path.of("/tmp");

        private Builder(Path kernel, Path initramfs) {
            this.kernel = kernel;
            this.initramfs = initramfs;
        }

        private static ModuleLayer defaultLayer() {
            ModuleLayer l = SandboxSpec.class.getModule().getLayer();
            return l != null ? l : ModuleLayer.boot();
        }

        public Builder cmdline(String c) { this.cmdline = c; return this; }

        public Builder transport(Transport t) { this.transport = t; return this; }

        public Builder memoryBytes(long m) { this.memoryBytes = m; return this; }

        public Builder vcpus(int n) { this.vcpus = n; return this; }

        public Builder disk(Path image, boolean readOnly) { disks.add(new Disk(image, readOnly)); return this; }

        public Builder readyTimeout(Duration d) { this.readyTimeout = d; return this; }

        public Builder shutdownTimeout(Duration d) { this.shutdownTimeout = d; return this; }

        public Builder name(String n) { this.name = n; return this; }

        public Builder layer(ModuleLayer l) { this.layer = l; return this; }

        public Builder providers(ResolverRegistry r) { this.providers = r; return this; }

        public Builder hypervisor(String h) { this.hypervisor = h; return this; }

        public Builder phases(Consumer<String> p) { this.phases = p; return this; }

        /** Where the vsock socket directory is made (default /tmp). */
        public Builder socketParent(Path dir) { this.socketParent = dir; return this; }

        public SandboxSpec build() {
            return new SandboxSpec(kernel, initramfs, cmdline, transport, memoryBytes, vcpus, disks, readyTimeout,
                    shutdownTimeout, name, layer, providers, hypervisor, phases, socketParent);
        }
    }
}
