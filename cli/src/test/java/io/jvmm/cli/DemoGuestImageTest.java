package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The committed demo.bin is what demo.S assembles to, and it is embedded in the jar. */
class DemoGuestImageTest {
    private static final Path GUEST_DIR = Path.of("src", "main", "guest");

    static boolean hasBinutils() {
        for (String tool : new String[] {"as", "ld"}) {
            try {
                Process p = new ProcessBuilder(tool, "--version").redirectErrorStream(true).start();
                p.getInputStream().readAllBytes();
                if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                    return false;
                }
            } catch (Exception e) {
                return false;
            }
        }
        return true;
    }

    @Test
    void committedImageMatchesItsSource(@TempDir Path out) throws Exception {
        assumeTrue(hasBinutils(), "GNU as/ld not installed: cannot rebuild demo.S (apt-get install binutils)");
        Process p = new ProcessBuilder("sh", GUEST_DIR.resolve("build.sh").toString(), out.toString())
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), log);
        assertArrayEquals(Files.readAllBytes(GUEST_DIR.resolve("demo.bin")), Files.readAllBytes(out.resolve("demo.bin")),
                "demo.bin is stale: run cli/src/main/guest/build.sh and commit the result");
    }

    @Test
    void imageIsEmbeddedWithAResetVector() throws Exception {
        byte[] image;
        try (InputStream in = Main.class.getResourceAsStream("demo.bin")) {
            image = in.readAllBytes();
        }
        assertEquals(65536, image.length);
        assertEquals((byte) 0xEA, image[0xFFF0], "far jump at the reset vector");
    }
}
