package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The committed chipset test guests are what their sources assemble to. */
@Timeout(60)
class ChipsetGuestImageTest {
    @Test
    void committedImagesMatchTheirSources(@TempDir Path out) throws Exception {
        assumeTrue(DemoGuestImageTest.hasBinutils(), "GNU as/ld not installed: cannot rebuild the chipset guests "
                + "(apt-get install binutils)");
        Process p = new ProcessBuilder("sh", ChipsetGuests.DIR.resolve("build.sh").toString(), out.toString())
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), log);
        for (String name : ChipsetGuests.NAMES) {
            byte[] committed = Files.readAllBytes(ChipsetGuests.bin(name));
            assertEquals(65536, committed.length, name);
            assertEquals((byte) 0xEA, committed[0xFFF0], name + ": far jump at the reset vector");
            assertArrayEquals(committed, Files.readAllBytes(out.resolve(name + ".bin")),
                    name + ".bin is stale: run cli/src/test/guests-chipset/build.sh and commit the result");
        }
    }
}
