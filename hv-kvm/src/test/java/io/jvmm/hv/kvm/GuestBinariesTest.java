package io.jvmm.hv.kvm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The committed guest binaries are what build.sh makes from the committed sources. */
class GuestBinariesTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void committedBinariesMatchARebuildFromSource() throws Exception {
        Path src = Path.of(System.getProperty("guests.src", "src/test/guests"));
        Path out = Path.of(System.getProperty("guests.out", "target/guests-rebuilt"));
        Assumptions.assumeTrue(onPath("as") && onPath("ld"),
                "GNU binutils (as, ld) not installed: cannot rebuild the test guests");
        Process build = new ProcessBuilder("sh", src.resolve("build.sh").toString(), out.toString())
                .redirectErrorStream(true).start();
        String log = new String(build.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, build.waitFor(), () -> "build.sh failed:\n" + log);

        List<Path> sources;
        try (Stream<Path> files = Files.list(src)) {
            sources = files.filter(p -> p.toString().endsWith(".S")).sorted().toList();
        }
        assertFalse(sources.isEmpty(), "no guest sources in " + src);
        for (Path source : sources) {
            String name = source.getFileName().toString().replaceAll("\\.S$", ".bin");
            assertArrayEquals(Files.readAllBytes(src.resolve(name)), Files.readAllBytes(out.resolve(name)),
                    () -> name + " differs from a rebuild of its source: run build.sh and commit the result");
        }
    }

    private static boolean onPath(String tool) {
        String path = System.getenv().getOrDefault("PATH", "");
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    @Test
    void everySourceHasACommittedBinaryInTheTestResources() throws IOException {
        for (String guest : List.of("reset16", "pic16", "triple16", "pm32", "lm64", "smp32", "triple32", "spin32", "pio32", "fault32", "bell32", "msi32", "snap32")) {
            assertFalse(KvmTestSupport.guest(guest).length == 0, guest);
        }
    }
}
