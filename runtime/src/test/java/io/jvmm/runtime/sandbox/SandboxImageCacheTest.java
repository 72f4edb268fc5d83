package io.jvmm.runtime.sandbox;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SandboxImage.cached: one assembly per set of inputs; any input changed is a new image. */
class SandboxImageCacheTest {
    @TempDir
    Path dir;

    SandboxImage.Sources sources;
    Path agent;
    Path module;

    @BeforeEach
    void sources() throws IOException {
        Path busybox = Path.of("/bin/busybox");
        assumeTrue(Files.isExecutable(busybox), "needs /bin/busybox (busybox-static)");
        Path modules = Files.createDirectories(dir.resolve("modules"));
        Files.writeString(modules.resolve("modules.dep"), ModulesDepTest.DEBIAN);
        for (String line : ModulesDepTest.DEBIAN.split("\n")) {
            Path ko = modules.resolve(line.substring(0, line.indexOf(':')));
            Files.createDirectories(ko.getParent());
            Files.writeString(ko, "ELF " + ko.getFileName());
        }
        module = modules.resolve(ModulesDepTest.DEBIAN.split("\n")[0].substring(0, ModulesDepTest.DEBIAN.indexOf(':')));
        agent = Files.write(dir.resolve("agent"), new byte[] {0x7f, 'E', 'L', 'F', 1});
        sources = new SandboxImage.Sources(dir.resolve("vmlinuz-x"), modules, busybox, agent, List.of());
    }

    @Test
    void theSameInputsGiveTheSameImageWithoutAssemblingAgain() throws IOException {
        Path cache = dir.resolve("cache/jvmm/sandbox");
        Path first = SandboxImage.cached(sources, cache);
        assertTrue(Files.isRegularFile(first));
        assertTrue(first.getFileName().toString().matches("sandbox-[0-9a-f]{64}\\.cpio"), first.toString());
        Path direct = dir.resolve("direct.cpio");
        SandboxImage.assemble(sources, direct);
        assertArrayEquals(Files.readAllBytes(direct), Files.readAllBytes(first), "the cached image is assemble's");
        FileTime old = FileTime.fromMillis(1_000_000L);
        Files.setLastModifiedTime(first, old); // a re-assembly would give it a new time
        Path second = SandboxImage.cached(sources, cache);
        assertEquals(first, second);
        assertEquals(old, Files.getLastModifiedTime(second), "not assembled again");
        try (var files = Files.list(cache)) {
            assertEquals(List.of(first), files.toList(), "no temporary file left");
        }
    }

    @Test
    void aChangedAgentOrModuleIsANewKey() throws IOException {
        Path cache = dir.resolve("cache");
        Path first = SandboxImage.cached(sources, cache);
        Files.write(agent, new byte[] {0x7f, 'E', 'L', 'F', 2, 2}); // rebuilt: other size and time
        Path second = SandboxImage.cached(sources, cache);
        assertNotEquals(first, second);
        assertTrue(Files.isRegularFile(second));
        // same size, only the modification time differs
        String before = SandboxImage.cacheKey(sources);
        Files.setLastModifiedTime(module, FileTime.fromMillis(Files.getLastModifiedTime(module).toMillis() + 5000));
        assertNotEquals(before, SandboxImage.cacheKey(sources));
        // another module list changes /init (and the files)
        SandboxImage.Sources extra = new SandboxImage.Sources(sources.kernel(), sources.modulesDir(), sources.busybox(),
                sources.agent(), List.of("virtio-rng"));
        assertNotEquals(SandboxImage.cacheKey(sources), SandboxImage.cacheKey(extra));
    }
}
