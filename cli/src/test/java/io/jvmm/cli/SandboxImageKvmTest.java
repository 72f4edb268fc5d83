package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.runtime.sandbox.SandboxImage;
import io.jvmm.testkit.RequiresKvm;
import io.jvmm.testkit.ScaledTimeout;
import io.jvmm.testkit.TestTime;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sandbox image ({@link SandboxImage}) boots the unmodified Debian kernel under {@code jvmm run}
 * with its own command line ({@code SandboxImage.commandLine("vsock:1024")}) and a {@code --vsock}
 * device: /init mounts the file systems, loads virtio_pci, vsock and virtio_blk with their
 * dependencies from the image, and execs the agent. The agent here is {@code
 * src/test/linux/sandbox_probe.c} (built with gcc -static), which prints the ready marker, reports
 * what it sees (PID 1, mounts, modules, /dev/vsock and its CID) and connects to the host (CID 2
 * port 1024, i.e. the test's listener at {@code UDS_1024}) to send one line, then powers off.
 */
@RequiresKvm(unmodifiedGuest = true)
class SandboxImageKvmTest {
    static final long CID = 3;

    @TempDir
    Path dir;

    @Test
    @ScaledTimeout(300)
    void theSandboxImageBootsLoadsItsModulesAndTheAgentReachesTheHostOverVsock() throws Exception {
        Path kernel = LinuxGuest.bzImage();
        Path probe = buildProbe(dir);
        Path initrd = dir.resolve("sandbox.cpio");
        SandboxImage.assemble(SandboxImage.Sources.forKernel(kernel, probe), initrd);
        String cmdline = SandboxImage.commandLine("vsock:1024");

        Path sockets = Files.createTempDirectory(Path.of("/tmp"), "jvmm-sandbox"); // not a 9p share in L1
        Path uds = sockets.resolve("v.sock");
        try (ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            listener.bind(UnixDomainSocketAddress.of(uds + "_1024"));
            CompletableFuture<String> hello = CompletableFuture.supplyAsync(() -> {
                try (SocketChannel c = listener.accept()) {
                    return new String(Channels.newInputStream(c).readAllBytes(), StandardCharsets.UTF_8);
                } catch (IOException e) {
                    return "(accept failed: " + e + ")";
                }
            });
            LinuxGuest.Boot boot = LinuxGuest.boot(dir, kernel, initrd, cmdline, List.of(),
                    List.of("--vsock", "cid=" + CID + ",uds=" + uds, "--on-reset", "exit"), null, s -> { });
            String console = boot.console();
            System.out.printf("Sandbox image boot: exit %d after %.1f s, %s%n  %s%n", boot.run().exitCode(),
                    boot.seconds(), console.lines().filter(l -> l.startsWith("JVMM-SANDBOX-READY")).findFirst()
                            .orElse("(no ready marker)"), String.join("\n  ", boot.facts()));
            String why = boot.why();
            assertTrue(console.contains("JVMM-SANDBOX-READY boottime_ms="), "the agent ran" + why);
            assertTrue(!console.contains("jvmm-init:"), "every module loaded (no jvmm-init: line)" + why);
            assertEquals("JVMM-FACT pid 1", boot.fact("pid"), "/init exec'd the agent as PID 1" + why);
            assertTrue(boot.fact("cmdline").contains(" jvmm.agent=vsock:1024"), why);
            for (String mount : List.of("proc /proc proc", "sysfs /sys sysfs", "devtmpfs /dev devtmpfs",
                    "tmpfs /tmp tmpfs", "tmpfs /run tmpfs")) {
                assertTrue(boot.facts().stream().anyMatch(l -> l.startsWith("JVMM-FACT mount " + mount + " ")),
                        mount + " is mounted" + why);
            }
            List<String> modules = boot.facts().stream().filter(l -> l.startsWith("JVMM-FACT module "))
                    .map(l -> l.substring("JVMM-FACT module ".length())).toList();
            for (String m : List.of("virtio_pci", "vsock", "vmw_vsock_virtio_transport_common",
                    "vmw_vsock_virtio_transport", "virtio_blk")) {
                assertTrue(modules.contains(m), m + " is loaded: " + modules + why);
            }
            assertEquals("JVMM-FACT /dev/vsock is a character device", boot.fact("/dev/vsock"), why);
            assertEquals("JVMM-FACT vsock local cid " + CID, boot.fact("vsock local cid"),
                    "the virtio transport is up with the device's guest CID" + why);
            assertEquals("JVMM-FACT vsock socket ok", boot.fact("vsock socket"), why);
            assertEquals("JVMM-FACT vsock connect 2:1024 wrote 29", boot.fact("vsock connect"), why);
            assertEquals("hello from the sandbox image\n", hello.get(TestTime.seconds(10).toMillis(),
                    TimeUnit.MILLISECONDS), "the host received the agent's line" + why);
            assertTrue(console.contains("reboot: Power down"), "the agent powered the guest off" + why);
            assertEquals(0, boot.run().exitCode(), "a power-off ends the run with 0" + why);
        } finally {
            Files.deleteIfExists(Path.of(uds + "_1024"));
            Files.deleteIfExists(uds);
            Files.deleteIfExists(sockets);
        }
    }

    /** Builds the stand-in agent with {@code gcc -static}, or skips naming what is missing. */
    static Path buildProbe(Path dir) throws IOException, InterruptedException {
        return LinuxGuest.staticProgram("src/test/linux/sandbox_probe.c", dir, "sandbox image Linux test");
    }
}
