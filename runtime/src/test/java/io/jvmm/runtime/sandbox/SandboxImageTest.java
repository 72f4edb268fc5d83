package io.jvmm.runtime.sandbox;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SandboxImageTest {
    private static final Path BUSYBOX = Path.of("/bin/busybox");

    @TempDir
    Path dir;

    /** A fetch-kernel.sh layout with the Debian modules.dep lines and each .ko holding its own path. */
    private Path kernelTree(String release) throws IOException {
        Path kernel = dir.resolve("vmlinuz-" + release);
        Files.writeString(kernel, "not really a bzImage");
        Path modules = dir.resolve("linux-image-" + release + "/lib/modules/" + release);
        Files.createDirectories(modules);
        Files.writeString(modules.resolve("modules.dep"), ModulesDepTest.DEBIAN);
        Files.writeString(modules.resolve("modules.builtin"), "kernel/drivers/virtio/virtio_mmio.ko\n");
        for (String line : ModulesDepTest.DEBIAN.split("\n")) {
            Path ko = modules.resolve(line.substring(0, line.indexOf(':')));
            Files.createDirectories(ko.getParent());
            Files.writeString(ko, "ELF " + line.substring(0, line.indexOf(':')));
        }
        return kernel;
    }

    private Path agent() throws IOException {
        Path agent = dir.resolve("agent");
        Files.write(agent, new byte[] {0x7f, 'E', 'L', 'F', 9});
        return agent;
    }

    @Test
    void theImageHoldsBusyboxAndItsLinksTheAgentTheModulesInOrderAndInit() throws IOException {
        assumeTrue(Files.isExecutable(BUSYBOX), "needs /bin/busybox (busybox-static)");
        Path kernel = kernelTree("6.1.0-test-amd64");
        SandboxImage.Sources s = SandboxImage.Sources.forKernel(kernel, agent());
        assertEquals(dir.resolve("linux-image-6.1.0-test-amd64/lib/modules/6.1.0-test-amd64"), s.modulesDir());
        s = new SandboxImage.Sources(s.kernel(), s.modulesDir(), s.busybox(), s.agent(), List.of("virtio-rng"));
        Path image = dir.resolve("sandbox.cpio");
        SandboxImage.assemble(s, image);

        Map<String, Cpio.Entry> e = Cpio.read(Files.readAllBytes(image));
        assertArrayEquals(Files.readAllBytes(BUSYBOX), e.get("bin/busybox").data());
        assertEquals(0755, e.get("bin/busybox").permissions());
        assertEquals("/bin/busybox", e.get("bin/sh").text(), "applets are links to busybox");
        assertEquals(0120000, e.get("bin/sh").type());
        assertTrue(e.containsKey("sbin/insmod") && e.containsKey("bin/mount"), "the applets /init uses");
        assertArrayEquals(new byte[] {0x7f, 'E', 'L', 'F', 9}, e.get("sbin/jvmm-agent").data());
        assertEquals(0755, e.get("sbin/jvmm-agent").permissions());
        assertEquals(0020000, e.get("dev/console").type());
        for (String d : List.of("proc", "sys", "dev", "tmp", "run")) {
            assertEquals(0040000, e.get(d).type(), d + " is a mount point");
        }
        List<String> order = List.of("virtio_ring", "virtio", "virtio_pci_modern_dev", "virtio_pci_legacy_dev",
                "virtio_pci", "vsock", "vmw_vsock_virtio_transport_common", "vmw_vsock_virtio_transport", "virtio_blk",
                "virtio_rng");
        List<String> moduleFiles = Cpio.names(e).stream().filter(n -> n.startsWith("lib/modules/")).toList();
        assertEquals(order.stream().map(m -> "lib/modules/" + m + ".ko").toList(), moduleFiles);
        assertEquals("ELF kernel/drivers/char/hw_random/virtio-rng.ko", e.get("lib/modules/virtio_rng.ko").text());

        String init = e.get("init").text();
        assertEquals(0755, e.get("init").permissions());
        assertTrue(init.startsWith("#!/bin/sh\n"), init);
        List<String> insmods = init.lines().filter(l -> l.contains("insmod")).toList();
        assertEquals(order.size(), insmods.size(), init);
        for (int i = 0; i < order.size(); i++) {
            assertTrue(insmods.get(i).startsWith("e=$(insmod /lib/modules/" + order.get(i) + ".ko 2>&1) || echo"),
                    insmods.get(i));
        }
        for (String mount : List.of("proc proc /proc", "sysfs sysfs /sys", "devtmpfs devtmpfs /dev", "tmpfs tmpfs /tmp",
                "tmpfs tmpfs /run")) {
            assertTrue(init.contains("mount -t " + mount + "\n"), mount + " in " + init);
        }
        assertTrue(init.strip().endsWith("exec /sbin/jvmm-agent"), init);
        assertEquals(List.of(), Files.list(dir).filter(p -> p.toString().endsWith(".part")).toList(), "no leftovers");
        Path again = dir.resolve("again.cpio");
        SandboxImage.assemble(s, again);
        assertArrayEquals(Files.readAllBytes(image), Files.readAllBytes(again),
                "the same sources give the same bytes (no time stamps), so an image can be cached by its inputs");
        assertEquals("rw-r--r--", PosixFilePermissions.toString(
                Files.getPosixFilePermissions(image)), "the image is readable by all");
    }

    @Test
    void theInitScriptRunsUnderBusyboxShAndReportsAFailedModuleInOneLine() throws Exception {
        assumeTrue(Files.isExecutable(BUSYBOX), "needs /bin/busybox (busybox-static)");
        // /init's module line, run on the host against a module that cannot load (insmod of a text file)
        String line = SandboxImage.init(List.of("nosuch")).lines().filter(l -> l.contains("insmod")).findFirst()
                .orElseThrow();
        Process p = new ProcessBuilder(BUSYBOX.toString(), "sh", "-c", "insmod() { echo \"insmod: can't insert '$1': "
                + "bad\" >&2; return 1; }; " + line + "; echo next").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor());
        assertEquals(SandboxImage.MODULE_FAILED + " nosuch: insmod: can't insert '/lib/modules/nosuch.ko': bad\nnext\n",
                out);
    }

    @Test
    void gzipModulesAreUnpackedAndXzOnesRefusedWithTheFix() throws IOException {
        assumeTrue(Files.isExecutable(BUSYBOX), "needs /bin/busybox (busybox-static)");
        Path modules = dir.resolve("m");
        Files.createDirectories(modules.resolve("kernel"));
        String dep = ModulesDepTest.DEBIAN.replace(".ko", ".ko.gz");
        Files.writeString(modules.resolve("modules.dep"), dep);
        for (String line : dep.split("\n")) {
            Path ko = modules.resolve(line.substring(0, line.indexOf(':')));
            Files.createDirectories(ko.getParent());
            try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(ko))) {
                out.write(("ELF " + ko.getFileName()).getBytes(StandardCharsets.US_ASCII));
            }
        }
        SandboxImage.Sources s = new SandboxImage.Sources(dir.resolve("k"), modules, BUSYBOX, agent(), List.of());
        Path image = dir.resolve("gz.cpio");
        SandboxImage.assemble(s, image);
        assertEquals("ELF vsock.ko.gz", Cpio.read(Files.readAllBytes(image)).get("lib/modules/vsock.ko").text());

        Files.writeString(modules.resolve("modules.dep"), ModulesDepTest.DEBIAN.replace(".ko", ".ko.xz"));
        IllegalArgumentException xz = assertThrows(IllegalArgumentException.class,
                () -> SandboxImage.assemble(new SandboxImage.Sources(dir.resolve("k"), modules, BUSYBOX, agent(),
                        List.of()), dir.resolve("xz.cpio")));
        assertTrue(xz.getMessage().contains("compressed (xz)") && xz.getMessage().contains("unxz"), xz.getMessage());
        assertFalse(Files.exists(dir.resolve("xz.cpio")), "no image after a failure");
    }

    @Test
    void forKernelNamesWhatIsMissingAndHowToGetIt() throws IOException {
        Path agent = agent();
        IllegalArgumentException noKernel = assertThrows(IllegalArgumentException.class,
                () -> SandboxImage.Sources.forKernel(dir.resolve("vmlinuz-6.1.0-x"), agent));
        assertTrue(noKernel.getMessage().contains("is not a file") && noKernel.getMessage().contains("fetch-kernel.sh"),
                noKernel.getMessage());

        Path odd = dir.resolve("bzImage");
        Files.writeString(odd, "x");
        IllegalArgumentException name = assertThrows(IllegalArgumentException.class,
                () -> SandboxImage.Sources.forKernel(odd, agent));
        assertTrue(name.getMessage().contains("vmlinuz-<release>"), name.getMessage());

        Path bare = dir.resolve("vmlinuz-6.1.0-bare");
        Files.writeString(bare, "x");
        IllegalArgumentException noModules = assertThrows(IllegalArgumentException.class,
                () -> SandboxImage.Sources.forKernel(bare, agent));
        assertTrue(noModules.getMessage().contains("linux-image-6.1.0-bare/lib/modules/6.1.0-bare/modules.dep")
                && noModules.getMessage().contains("fetch-kernel.sh"), noModules.getMessage());

        assumeTrue(Files.isExecutable(BUSYBOX), "the agent check comes after the busybox check");
        Path kernel = kernelTree("6.1.0-test-amd64");
        IllegalArgumentException noAgent = assertThrows(IllegalArgumentException.class,
                () -> SandboxImage.Sources.forKernel(kernel, dir.resolve("nope")));
        assertTrue(noAgent.getMessage().contains("agent") && noAgent.getMessage().contains("jvmm-agent.c"),
                noAgent.getMessage());
    }

    @Test
    void anUnknownExtraModuleFailsBeforeAnythingIsWritten() throws IOException {
        assumeTrue(Files.isExecutable(BUSYBOX), "needs /bin/busybox (busybox-static)");
        SandboxImage.Sources s = SandboxImage.Sources.forKernel(kernelTree("6.1.0-t"), agent());
        SandboxImage.Sources extra = new SandboxImage.Sources(s.kernel(), s.modulesDir(), s.busybox(), s.agent(),
                List.of("no_such_driver"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SandboxImage.assemble(extra, dir.resolve("x.cpio")));
        assertTrue(e.getMessage().contains("no_such_driver"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("x.cpio")));
    }

    @Test
    void theCommandLineHasTheConsoleAndTheAgentTransport() {
        String vsock = SandboxImage.commandLine("vsock:1024");
        assertTrue(List.of(vsock.split(" ")).contains("console=ttyS0"), vsock);
        assertTrue(vsock.endsWith(" jvmm.agent=vsock:1024"), vsock);
        assertTrue(SandboxImage.commandLine("serial:/dev/ttyS1").endsWith(" jvmm.agent=serial:/dev/ttyS1"));
        for (String bad : List.of("", "vsock", "vsock:", "vsock:1 quiet", "serial:/etc/passwd", "tcp:1")) {
            assertThrows(IllegalArgumentException.class, () -> SandboxImage.commandLine(bad), bad);
        }
        assertThrows(IllegalArgumentException.class, () -> SandboxImage.commandLine(null));
    }
}
