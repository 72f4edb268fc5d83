package io.jvmm.dev.i8042;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The committed probe guest image is what its source and build script produce. */
class GuestImageTest {
    static final Path GUESTS = Path.of(System.getProperty("basedir", ".")).resolve("src/test/guests");

    @Test
    void committedImageMatchesTheSource() throws IOException, InterruptedException {
        for (String tool : List.of("as", "ld", "objcopy", "sh")) {
            assumeTrue(onPath(tool), "GNU binutils '" + tool + "' not on PATH; cannot rebuild the guest image");
        }
        Path out = Path.of(System.getProperty("basedir", ".")).resolve("target/guests");
        Files.createDirectories(out);
        Process p = new ProcessBuilder("sh", GUESTS.resolve("build.sh").toString(), out.toString())
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "build.sh did not finish in 60 s");
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), "build.sh failed:\n" + log);
        byte[] rebuilt = Files.readAllBytes(out.resolve("i8042_probe.bin"));
        byte[] committed = Files.readAllBytes(GUESTS.resolve("i8042_probe.bin"));
        assertEquals(65536, rebuilt.length);
        assertArrayEquals(committed, rebuilt, "i8042_probe.bin is stale: run src/test/guests/build.sh and commit it");
    }

    private static boolean onPath(String tool) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }
}
