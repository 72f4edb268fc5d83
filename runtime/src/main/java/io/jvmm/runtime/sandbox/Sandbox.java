package io.jvmm.runtime.sandbox;

import io.jvmm.api.handles.VirtioBlkHandle;
import io.jvmm.api.handles.VirtioVsockHandle;
import io.jvmm.api.hv.HypervisorProvider;
import io.jvmm.api.hv.MachineArch;
import io.jvmm.api.resource.Resource;
import io.jvmm.api.serial.SerialBackend;
import io.jvmm.runtime.manifest.BaseChipsetType;
import io.jvmm.runtime.manifest.ManifestBuildException;
import io.jvmm.runtime.manifest.VmManifest;
import io.jvmm.runtime.manifest.VmManifestBuilder;
import io.jvmm.runtime.registry.HypervisorRegistry;
import io.jvmm.runtime.registry.ResolverRegistry;
import io.jvmm.runtime.serial.SinkSerialResolver;
import io.jvmm.runtime.vm.GuestPayload;
import io.jvmm.runtime.vm.LaunchedVm;
import io.jvmm.runtime.vm.ResetPolicy;
import io.jvmm.runtime.vm.VmLauncher;
import io.jvmm.runtime.vm.VmOutcome;
import io.jvmm.runtime.vm.VmSpec;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A microVM that runs commands: boots a kernel and an initramfs whose PID 1 is {@code jvmm-agent},
 * waits for the agent's READY, then runs commands, moves files and answers pings over the agent
 * protocol (docs/sandbox-protocol.md), until {@link #close()} powers it off.
 *
 * <pre>{@code
 * SandboxSpec spec = SandboxSpec.builder(kernel, initramfs).build();
 * try (Sandbox sandbox = Sandbox.start(spec)) {
 *     ExecResult r = sandbox.exec(Command.of("sh", "-c", "echo hi; exit 3"));
 *     r.exitCode(); // 3
 *     r.stdoutText(); // "hi\n"
 * }
 * }</pre>
 *
 * <p>The VM is built through the embedding API ({@link VmLauncher}) on the default PC chipset with
 * COM1 as the console (kept in memory: its last {@value #CONSOLE_TAIL} bytes are in error
 * messages), and either a virtio-vsock device whose host socket for port 1024 this class listens
 * on before the VM starts, or COM2 on an in-process serial pipe. One request runs at a time;
 * {@link #kill} may come from any thread. After {@link #close()} no thread, socket or file of the
 * sandbox is left.
 */
public final class Sandbox implements AutoCloseable {
    /** How many bytes of the console the sandbox keeps for messages. */
    public static final int CONSOLE_TAIL = 8192;
    /** The vsock port the agent connects to (CID 2 = the host). */
    public static final int AGENT_PORT = 1024;
    private static final int VSOCK_SLOT = 3;
    private static final int FIRST_DISK_SLOT = 6;
    private static final long GUEST_CID = 3;
    /** After a hard stop, how long the VM's run may take to end. */
    private static final Duration HARD_STOP_GRACE = Duration.ofSeconds(10);
    /**
     * When the sandbox is closed without a SHUTDOWN (mid-request, or the connection broke), how
     * long the guest may take to power off by itself before it is stopped hard: over vsock the
     * agent sees the closed connection and powers off; over serial it cannot see it at all.
     */
    static final Duration CLOSED_GRACE = Duration.ofSeconds(2);

    private final SandboxSpec spec;
    private final LaunchedVm vm;
    private final Thread controller;
    private final CompletableFuture<VmOutcome> outcome;
    private final ConsoleTail console;
    private final Path socketDir;
    private final AgentConnection agent;
    private final Message.Ready ready;
    private final Duration readyAfter;
    private boolean closed;

    private Sandbox(SandboxSpec spec, LaunchedVm vm, Thread controller, CompletableFuture<VmOutcome> outcome,
            ConsoleTail console, Path socketDir, AgentConnection agent, Message.Ready ready, Duration readyAfter) {
        this.spec = spec;
        this.vm = vm;
        this.controller = controller;
        this.outcome = outcome;
        this.console = console;
        this.socketDir = socketDir;
        this.agent = agent;
        this.ready = ready;
        this.readyAfter = readyAfter;
    }

    /**
     * Boots the sandbox and waits until its agent is ready.
     *
     * @throws SandboxException when the VM cannot be built or started, or the agent is not ready within
     *     {@link SandboxSpec#readyTimeout()} (the message has the console's tail); nothing is left running
     */
    public static Sandbox start(SandboxSpec spec) throws SandboxException {
        long startNanos = System.nanoTime();
        for (Path p : List.of(spec.kernel(), spec.initramfs())) {
            if (!Files.isRegularFile(p)) {
                throw new SandboxException((p == spec.kernel() ? "kernel " : "initramfs ") + p + " is not a file");
            }
        }
        ConsoleTail console = new ConsoleTail();
        SinkSerialResolver sinks = new SinkSerialResolver();
        SerialPipeResolver pipes = new SerialPipeResolver();
        SerialPipeResolver.Pipe pipe = spec.transport() == SandboxSpec.Transport.SERIAL ? new SerialPipeResolver.Pipe() : null;
        Path socketDir = null;
        ServerSocketChannel listener = null;
        LaunchedVm vm = null;
        Thread controller = null;
        CompletableFuture<VmOutcome> outcome = new CompletableFuture<>();
        AgentConnection[] agent = {null};
        try {
            VmManifestBuilder b = new VmManifestBuilder(BaseChipsetType.UNENLIGHTENED_LINUX_DIRECT, MachineArch.X86_64);
            List<Resource<SerialBackend>> ports = new ArrayList<>(Arrays.asList(null, null, null, null));
            ports.set(0, sinks.sink("console", console));
            if (pipe != null) {
                ports.set(1, pipes.register("agent", pipe));
            }
            b.withSerial(ports);
            if (spec.transport() == SandboxSpec.Transport.VSOCK) {
                // /tmp by default rather than java.io.tmpdir: a Unix socket's path must fit in 108 bytes
                socketDir = Files.createTempDirectory(spec.socketParent(), "jvmm-sandbox");
                Path uds = socketDir.resolve("v.sock");
                listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
                listener.bind(UnixDomainSocketAddress.of(uds + "_" + AGENT_PORT)); // before the guest can dial
                b.withVirtioVsock(new VirtioVsockHandle(VSOCK_SLOT, GUEST_CID, uds.toString()));
            }
            for (int i = 0; i < spec.disks().size(); i++) {
                SandboxSpec.Disk d = spec.disks().get(i);
                b.withVirtioBlk(new VirtioBlkHandle(d.image().toAbsolutePath().normalize().toString(), d.readOnly(),
                        FIRST_DISK_SLOT + i, "disk" + i));
            }
            VmManifest manifest = b.build();
            GuestPayload payload = new GuestPayload.Linux(spec.kernel().getFileName().toString(),
                    Files.readAllBytes(spec.kernel()), Files.readAllBytes(spec.initramfs()), spec.effectiveCmdline());
            phase(spec, "manifest built, kernel and initramfs read");
            ResolverRegistry providers = spec.providers() != null ? spec.providers()
                    : ResolverRegistry.builder().loadFrom(spec.layer()).build();
            VmLauncher launcher = new VmLauncher(spec.layer()).providers(providers).addResolver(sinks)
                    .addResolver(pipes).acpiTables(true);
            if (spec.phases() != null) {
                java.util.concurrent.atomic.AtomicBoolean first = new java.util.concurrent.atomic.AtomicBoolean();
                launcher.profile(() -> {
                    if (first.compareAndSet(false, true)) { // called on a vCPU thread per exit: the first one only
                        spec.phases().accept("first guest exit");
                    }
                });
            }
            HypervisorProvider hv;
            try {
                hv = HypervisorRegistry.load(spec.layer(), List.of()).select(spec.hypervisor());
            } catch (IllegalStateException | IllegalArgumentException e) {
                throw new SandboxException("no hypervisor for the sandbox: " + e.getMessage());
            }
            try {
                vm = launcher.launch(new VmSpec(manifest, spec.memoryBytes(), spec.vcpus(), payload, ResetPolicy.EXIT,
                        spec.name()), hv);
            } catch (VmLauncher.LaunchException e) {
                throw new SandboxException("the sandbox VM cannot be built: " + String.join("; ", e.messages()));
            }
            phase(spec, "VM built, payload loaded");
            LaunchedVm running = vm;
            ServerSocketChannel acceptor = listener;
            controller = new Thread(() -> {
                try {
                    outcome.complete(running.run());
                } catch (RuntimeException | Error e) {
                    outcome.completeExceptionally(e);
                }
                // wake whoever waits for the agent: the guest is gone
                AgentConnection a;
                synchronized (agent) {
                    a = agent[0];
                }
                if (a != null) {
                    a.close();
                }
                if (acceptor != null) {
                    closeQuietly(acceptor);
                }
                if (pipe != null) {
                    pipe.close();
                }
            }, spec.name() + "-controller");
            controller.start();

            long deadline = startNanos + spec.readyTimeout().toNanos();
            AgentConnection connection;
            if (listener != null) {
                SocketChannel channel = accept(listener, deadline, outcome);
                closeQuietly(listener);
                Files.deleteIfExists(Path.of(socketDir.resolve("v.sock") + "_" + AGENT_PORT));
                if (channel == null) {
                    throw notReady(spec, outcome, console, "the agent never connected");
                }
                connection = new AgentConnection(new BufferedInputStream(ChannelStreams.input(channel), 1 << 16),
                        new BufferedOutputStream(ChannelStreams.output(channel), 1 << 16), channel);
            } else {
                connection = new AgentConnection(new BufferedInputStream(pipe.input(), 1 << 16),
                        new BufferedOutputStream(pipe.output(), 1 << 16), pipe::close);
            }
            synchronized (agent) {
                agent[0] = connection;
            }
            if (outcome.isDone()) {
                connection.close();
            }
            Message.Ready ready = awaitReady(connection, deadline);
            if (ready == null) {
                throw notReady(spec, outcome, console, "no READY arrived");
            }
            Duration readyAfter = Duration.ofNanos(System.nanoTime() - startNanos);
            phase(spec, "agent ready");
            return new Sandbox(spec, vm, controller, outcome, console, socketDir, connection, ready, readyAfter);
        } catch (IOException | RuntimeException | ManifestBuildException e) {
            // nothing is left behind: the VM stopped and closed, the sockets and their files gone
            AgentConnection a;
            synchronized (agent) {
                a = agent[0];
            }
            if (a != null) {
                a.close();
            }
            if (listener != null) {
                closeQuietly(listener);
            }
            if (vm != null) {
                stopAndClose(vm, controller, outcome, Duration.ZERO);
            }
            if (pipe != null) {
                pipe.close();
            }
            deleteDir(socketDir);
            if (e instanceof SandboxException s) {
                throw s;
            }
            throw new SandboxException("the sandbox did not start: " + e.getMessage(), e);
        }
    }

    /** Accepts the agent's connection until {@code deadline}, or null when the time ran out or the VM ended. */
    private static SocketChannel accept(ServerSocketChannel listener, long deadline, CompletableFuture<VmOutcome> outcome)
            throws IOException {
        listener.configureBlocking(false);
        try (Selector selector = Selector.open()) {
            listener.register(selector, SelectionKey.OP_ACCEPT);
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || outcome.isDone()) {
                    return null;
                }
                // in slices, so that a VM that ended is noticed (its controller also closes the listener)
                selector.select(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(left), 200)));
                SocketChannel c = listener.isOpen() ? listener.accept() : null;
                if (c != null) {
                    c.configureBlocking(true);
                    return c;
                }
                if (!listener.isOpen()) {
                    return null;
                }
            }
        }
    }

    /** READY from {@code connection} before {@code deadline} (the transport is closed at the deadline), or null. */
    private static Message.Ready awaitReady(AgentConnection connection, long deadline) throws IOException {
        CountDownLatch got = new CountDownLatch(1);
        Thread timer = new Thread(() -> {
            try {
                if (!got.await(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    connection.close();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "jvmm-sandbox-ready-timer");
        timer.setDaemon(true);
        timer.start();
        try {
            return connection.awaitReady();
        } catch (SandboxProtocolException e) {
            throw e;
        } catch (IOException e) {
            return null;
        } finally {
            got.countDown();
            try {
                timer.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static SandboxException notReady(SandboxSpec spec, CompletableFuture<VmOutcome> outcome,
            ConsoleTail console, String what) {
        String how;
        if (outcome.isDone()) {
            VmOutcome o = outcome.getNow(null);
            how = "the VM ended first (" + (o == null ? "its run failed" : o.summary()) + ")";
        } else {
            how = "agent never ready within " + spec.readyTimeout().toSeconds() + " s";
        }
        return new SandboxException(how + ": " + what + "; console tail:\n" + console.text());
    }

    private static void phase(SandboxSpec spec, String name) {
        if (spec.phases() != null) {
            spec.phases().accept(name);
        }
    }

    /** The agent's READY: its protocol version, the guest's uptime at ready, the kernel release. */
    public Message.Ready ready() {
        return ready;
    }

    /** From {@link #start} to READY. */
    public Duration readyAfter() {
        return readyAfter;
    }

    /** The last {@value #CONSOLE_TAIL} bytes of the guest's console (COM1). */
    public String consoleTail() {
        return console.text();
    }

    /** Whether the VM still runs. */
    public boolean isRunning() {
        return !outcome.isDone();
    }

    /** Runs {@code command}, its output captured (stdout and stderr together up to {@link Command#outputLimit()}). */
    public ExecResult exec(Command command) throws SandboxException {
        return withVm(() -> agent.exec(command));
    }

    /** Runs {@code command}, its output streamed to {@code stdout} and {@code stderr} as it comes. */
    public ExecResult exec(Command command, OutputStream stdout, OutputStream stderr) throws SandboxException {
        return withVm(() -> agent.exec(command, stdout, stderr));
    }

    /** Sends {@code signal} to the running command's process group; false when none runs. */
    public boolean kill(int signal) throws SandboxException {
        return withVm(() -> agent.kill(signal));
    }

    /** PING; the PONG's bytes. */
    public byte[] ping(byte[] data) throws SandboxException {
        return withVm(() -> agent.ping(data));
    }

    /** Writes {@code data} to {@code guestPath} with {@code mode}. */
    public void put(byte[] data, String guestPath, int mode) throws SandboxException {
        withVm(() -> agent.put(new java.io.ByteArrayInputStream(data), data.length, guestPath, mode));
    }

    /** Copies the host file {@code host} to {@code guestPath}, with the host file's permission bits (or 0644). */
    public void put(Path host, String guestPath) throws SandboxException {
        withVm(() -> {
            int mode = 0644;
            try {
                mode = permissionBits(Files.getPosixFilePermissions(host));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system: the default
            }
            try (InputStream in = Files.newInputStream(host)) {
                return agent.put(in, Files.size(host), guestPath, mode);
            }
        });
    }

    /** The guest file {@code guestPath}, if it has at most {@code maxBytes}. */
    public byte[] get(String guestPath, long maxBytes) throws SandboxException {
        return withVm(() -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            agent.get(guestPath, maxBytes, out);
            return out.toByteArray();
        });
    }

    /** Copies the guest file {@code guestPath} (at most {@code maxBytes}) to the host file {@code host}. */
    public long get(String guestPath, Path host, long maxBytes) throws SandboxException {
        return withVm(() -> {
            Path tmp = Files.createTempFile(host.toAbsolutePath().getParent(), ".jvmm-get", ".tmp");
            try {
                long n;
                try (OutputStream out = Files.newOutputStream(tmp)) {
                    n = agent.get(guestPath, maxBytes, out);
                }
                Files.move(tmp, host, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                return n;
            } finally {
                Files.deleteIfExists(tmp);
            }
        });
    }

    private static int permissionBits(java.util.Set<java.nio.file.attribute.PosixFilePermission> perms) {
        int mode = 0;
        for (java.nio.file.attribute.PosixFilePermission p : perms) {
            mode |= 1 << (8 - p.ordinal()); // OWNER_READ is ordinal 0 = 0400, ... OTHERS_EXECUTE 8 = 0001
        }
        return mode;
    }

    @FunctionalInterface
    private interface AgentCall<T> {
        T call() throws IOException;
    }

    /** Runs {@code call}; a failure says how the VM ended if it did, with the console's tail. */
    private <T> T withVm(AgentCall<T> call) throws SandboxException {
        try {
            return call.call();
        } catch (AgentErrorException e) {
            throw e;
        } catch (IOException e) {
            if (outcome.isDone()) {
                VmOutcome o = outcome.getNow(null);
                throw new SandboxException(e.getMessage() + "; the sandbox VM ended: "
                        + (o == null ? "its run failed" : o.summary()) + "; console tail:\n" + console.text(), e);
            }
            if (e instanceof SandboxException s) {
                throw s;
            }
            throw new SandboxException(e.getMessage(), e);
        }
    }

    /**
     * SHUTDOWN, then waits for the VM to power off (at most {@link SandboxSpec#shutdownTimeout()},
     * then it is stopped hard), and releases everything: the VM, the connection, the socket files,
     * the controller thread. Idempotent. While a request is in progress (a command runs, a long
     * {@link #get} or {@link #put} on another thread, e.g. when a signal closes the sandbox),
     * SHUTDOWN would wait for it: the transport is closed instead (the request fails) and the VM is
     * stopped hard after {@link #CLOSED_GRACE}, as it is when the connection is already broken.
     *
     * @return how the VM ended, or null if its run failed or it could not be stopped
     */
    public synchronized VmOutcome closeAndWait() {
        if (!closed) {
            closed = true;
            boolean shutdownSent = false;
            if (agent.isOpen() && !outcome.isDone()) {
                try {
                    // closed from another thread (a signal) mid-request: SHUTDOWN would wait for the
                    // request; over vsock, the closed transport makes the agent kill the command and
                    // power off (over serial the guest cannot see it: the VM is stopped hard)
                    shutdownSent = !agent.commandRunning() && agent.shutdownIfIdle();
                } catch (IOException e) {
                    // the agent is gone: the VM is stopped hard below
                }
                if (!shutdownSent) {
                    agent.close();
                }
            }
            stopAndClose(vm, controller, outcome, shutdownSent ? spec.shutdownTimeout() : CLOSED_GRACE);
            agent.close();
            deleteDir(socketDir);
        }
        try {
            return outcome.isDone() ? outcome.get() : null;
        } catch (InterruptedException | ExecutionException e) {
            return null;
        }
    }

    @Override
    public void close() {
        closeAndWait();
    }

    /** Waits up to {@code grace} for the run to end, else stops it; closes the VM once its run ended. */
    private static void stopAndClose(LaunchedVm vm, Thread controller, CompletableFuture<VmOutcome> outcome,
            Duration grace) {
        if (!waitFor(outcome, grace)) {
            vm.machine().shutdown("the sandbox is closed" + (grace.isZero() ? "" : " and the guest did not power off within "
                    + grace.toSeconds() + " s"));
            waitFor(outcome, HARD_STOP_GRACE);
        }
        if (controller != null) {
            try {
                controller.join(HARD_STOP_GRACE.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (outcome.isDone()) {
            vm.close(); // closing under a running vCPU would be worse than leaving it
        }
    }

    private static boolean waitFor(CompletableFuture<VmOutcome> outcome, Duration d) {
        try {
            outcome.get(d.toNanos(), TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return outcome.isDone();
        }
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            // closing on a failure path
        }
    }

    private static void deleteDir(Path dir) {
        if (dir == null) {
            return;
        }
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.deleteIfExists(p);
            }
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            // a socket file the device still holds: nothing more to do here
        }
    }

    /** The console's last bytes, fed on the vCPU thread (quick, no blocking beyond a short lock). */
    private static final class ConsoleTail implements SinkSerialResolver.ByteSink {
        private final byte[] ring = new byte[CONSOLE_TAIL];
        private long written;

        @Override
        public synchronized void write(byte[] data, int offset, int length) {
            for (int i = 0; i < length; i++) {
                ring[(int) (written++ % ring.length)] = data[offset + i];
            }
        }

        synchronized String text() {
            int n = (int) Math.min(written, ring.length);
            byte[] out = new byte[n];
            for (int i = 0; i < n; i++) {
                out[i] = ring[(int) ((written - n + i) % ring.length)];
            }
            return new String(out, StandardCharsets.ISO_8859_1);
        }
    }
}
