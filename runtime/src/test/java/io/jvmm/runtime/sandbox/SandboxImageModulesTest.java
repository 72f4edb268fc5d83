package io.jvmm.runtime.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where forKernel finds a kernel's modules: beside it, the host's /lib/modules/RELEASE, or --modules. */
class SandboxImageModulesTest {
    @TempDir
    Path dir;

    Path agent;

    @BeforeEach
    void needsBusybox() throws IOException {
        assumeTrue(Files.isExecutable(Path.of("/bin/busybox")), "needs /bin/busybox (busybox-static)");
        agent = Files.write(dir.resolve("agent"), new byte[] {0x7f, 'E', 'L', 'F'});
    }

    private static Path modulesTree(Path at) throws IOException {
        Files.createDirectories(at);
        Files.writeString(at.resolve("modules.dep"), ModulesDepTest.DEBIAN);
        return at;
    }

    @Test
    void aBootKernelFindsItsModulesInTheSystemTree() throws IOException {
        Path boot = Files.createDirectories(dir.resolve("boot"));
        Path kernel = Files.writeString(boot.resolve("vmlinuz-6.1.0-host-amd64"), "x");
        Path system = dir.resolve("lib/modules");
        Path release = modulesTree(system.resolve("6.1.0-host-amd64"));
        assertEquals(release, SandboxImage.Sources.forKernel(kernel, null, agent, system).modulesDir());
        // the fetch-kernel.sh layout beside the kernel comes first
        Path beside = modulesTree(boot.resolve("linux-image-6.1.0-host-amd64/lib/modules/6.1.0-host-amd64"));
        assertEquals(beside.toAbsolutePath(),
                SandboxImage.Sources.forKernel(kernel, null, agent, system).modulesDir().toAbsolutePath());
    }

    @Test
    void missingModulesNameBothPlacesAndTheOption() throws IOException {
        Path kernel = Files.writeString(dir.resolve("vmlinuz-6.1.0-none"), "x");
        Path system = Files.createDirectories(dir.resolve("lib/modules"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SandboxImage.Sources.forKernel(kernel, null, agent, system));
        assertTrue(e.getMessage().contains("linux-image-6.1.0-none/lib/modules/6.1.0-none/modules.dep")
                && e.getMessage().contains(system.resolve("6.1.0-none/modules.dep").toString())
                && e.getMessage().contains("--modules DIR"), e.getMessage());
        Path odd = Files.writeString(dir.resolve("bzImage"), "x");
        IllegalArgumentException name = assertThrows(IllegalArgumentException.class,
                () -> SandboxImage.Sources.forKernel(odd, null, agent, system));
        assertTrue(name.getMessage().contains("--modules DIR"), name.getMessage());
    }

    @Test
    void givenModulesAreUsedWhateverTheKernelIsCalled() throws IOException {
        Path kernel = Files.writeString(dir.resolve("bzImage"), "x");
        Path mine = modulesTree(dir.resolve("my-modules"));
        assertEquals(mine, SandboxImage.Sources.forKernel(kernel, mine, agent).modulesDir());
        Path empty = Files.createDirectories(dir.resolve("empty"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SandboxImage.Sources.forKernel(kernel, empty, agent));
        assertTrue(e.getMessage().contains("--modules") && e.getMessage().contains("no modules.dep"), e.getMessage());
    }
}
