package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The committed test guest images are what their sources assemble to, and are firmware-shaped. */
class GuestImagesTest {
    private static final List<String> GUESTS = List.of("serial_poll", "serial_irq", "counter", "smp_counter", "bad_device", "keys");

    @Test
    @Timeout(60)
    void committedImagesMatchTheirSources(@TempDir Path out) throws Exception {
        assumeTrue(DemoGuestImageTest.hasBinutils(),
                "GNU as/ld not installed: cannot rebuild the test guests (apt-get install binutils)");
        Process p = new ProcessBuilder("sh", TestGuests.DIR.resolve("build.sh").toString(), out.toString())
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), log);
        for (String guest : GUESTS) {
            assertArrayEquals(Files.readAllBytes(TestGuests.DIR.resolve(guest + ".bin")),
                    Files.readAllBytes(out.resolve(guest + ".bin")),
                    guest + ".bin is stale: run cli/src/test/guests/build.sh and commit the result");
        }
    }

    @Test
    void everyImageIs64KiBWithAFarJumpAtTheResetVector() throws Exception {
        for (String guest : GUESTS) {
            byte[] image = Files.readAllBytes(TestGuests.DIR.resolve(guest + ".bin"));
            assertEquals(65536, image.length, guest);
            assertEquals((byte) 0xEA, image[0xFFF0], guest + ": far jump at the reset vector");
        }
    }
}
