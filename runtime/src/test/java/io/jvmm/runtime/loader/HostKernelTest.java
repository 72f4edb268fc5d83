package io.jvmm.runtime.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jvmm.api.hv.CpuBootState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Parses and loads a real kernel: the one named by system property {@code jvmm.test.kernel}, else the
 * host's own (Debian: /boot/vmlinuz-*); skipped when there is none.
 */
class HostKernelTest {
    @Test
    void hostBzImageParsesAndLoads() throws Exception {
        Optional<Path> found = hostKernel();
        assumeTrue(found.isPresent(), "no readable /boot/vmlinuz-* on this machine");
        ImageFile kernel = ImageFile.read(found.get(), "kernel");

        BzImageHeader header = BzImageHeader.parse(kernel.bytes(), kernel.name());
        assertTrue(header.version() >= 0x020c, "protocol " + BzImageHeader.versionText(header.version()));
        assertTrue((header.xloadFlags() & BzImageHeader.XLF_KERNEL_64) != 0);
        assertTrue(header.initSize() > 0);
        assertTrue(header.cmdlineSize() >= 255);

        SparseGuestMemory memory = new SparseGuestMemory(512L << 20);
        LoadedPayload payload = LinuxLoader.load(memory, kernel, null, "console=ttyS0");
        assertEquals(0x100200, ((CpuBootState.X86Long64) payload.bootState()).rip());
        assertEquals(0x5372_6448, memory.readInt(0x7202));
        assertEquals(header.version(), memory.readShort(0x7206));
        System.out.println(payload.description() + "; init_size " + header.initSize() + ", pref_address 0x"
                + Long.toHexString(header.prefAddress()) + ", kernel_alignment 0x" + Long.toHexString(header.kernelAlignment())
                + ", setup_sects " + header.setupSects() + ", header end 0x" + Integer.toHexString(header.headerEnd()));
    }

    private static Optional<Path> hostKernel() throws IOException {
        String named = System.getProperty("jvmm.test.kernel");
        if (named != null && !named.isBlank()) {
            return Optional.of(Path.of(named));
        }
        Path boot = Path.of("/boot");
        if (!Files.isDirectory(boot)) {
            return Optional.empty();
        }
        try (Stream<Path> files = Files.list(boot)) {
            return files.filter(p -> p.getFileName().toString().startsWith("vmlinuz-"))
                    .filter(Files::isReadable)
                    .sorted()
                    .findFirst();
        }
    }
}
