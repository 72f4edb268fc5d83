package io.jvmm.runtime.loader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFileTest {
    @TempDir
    Path dir;

    @Test
    void readsAWholeFile() throws Exception {
        Path file = Files.write(dir.resolve("bzImage"), new byte[] {1, 2, 3});
        ImageFile image = ImageFile.read(file, "kernel");
        assertArrayEquals(new byte[] {1, 2, 3}, image.bytes());
        assertEquals(file.toString(), image.name());
        assertEquals("kernel '" + file + "'", image.describe("kernel"));
        assertEquals("kernel", new ImageFile("kernel", new byte[0]).describe("kernel"));
    }

    @Test
    void missingFileDirectoryAndDanglingLinkAreNamed() throws Exception {
        Path missing = dir.resolve("nope");
        assertEquals("kernel file '" + missing + "' does not exist",
                assertThrows(PayloadException.class, () -> ImageFile.read(missing, "kernel")).getMessage());
        assertEquals("initrd file '" + dir + "' is a directory, not a file",
                assertThrows(PayloadException.class, () -> ImageFile.read(dir, "initrd")).getMessage());
        Path link = Files.createSymbolicLink(dir.resolve("link"), missing);
        assertEquals("kernel file '" + link + "' is a symbolic link to a file that does not exist",
                assertThrows(PayloadException.class, () -> ImageFile.read(link, "kernel")).getMessage());
    }

    @Test
    void sizeLimitIsCheckedBeforeReading() throws Exception {
        Path file = Files.write(dir.resolve("bios.bin"), new byte[300]);
        assertEquals("firmware file '" + file + "' is 300 bytes; at most 256 bytes are allowed",
                assertThrows(PayloadException.class, () -> ImageFile.read(file, "firmware", 256)).getMessage());
    }

    @Test
    void devicesAreRefused() {
        Path zero = Path.of("/dev/zero");
        assumeFalse(!Files.exists(zero), "no /dev/zero here");
        assertEquals("kernel file '/dev/zero' is not a regular file",
                assertThrows(PayloadException.class, () -> ImageFile.read(zero, "kernel")).getMessage());
    }

    @Test
    void unreadableFileIsReported() throws Exception {
        Path file = Files.write(dir.resolve("secret"), new byte[] {1});
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("---------"));
        assumeFalse(Files.isReadable(file), "running as root: permissions do not stop reads");
        assertEquals("cannot read kernel file '" + file + "': permission denied",
                assertThrows(PayloadException.class, () -> ImageFile.read(file, "kernel")).getMessage());
    }
}
