package io.jvmm.runtime.sandbox;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InitramfsTest {
    @Test
    void entriesParseBackWithTheirTypesModesAndData() throws IOException {
        byte[] five = {1, 2, 3, 4, 5};
        byte[] archive = new Initramfs()
                .directory("bin").directory("dev")
                .characterDevice("dev/console", 5, 1)
                .file("bin/busybox", 0755, five)
                .symlink("bin/sh", "/bin/busybox")
                .file("init", 0700, "#!/bin/sh\n".getBytes(StandardCharsets.US_ASCII))
                .toBytes();
        assertEquals(0, archive.length % 4, "the archive is padded to 4 bytes");
        Map<String, Cpio.Entry> e = Cpio.read(archive);
        assertEquals(List.of("bin", "dev", "dev/console", "bin/busybox", "bin/sh", "init"), Cpio.names(e));
        assertEquals(0040000, e.get("bin").type());
        assertEquals(0755, e.get("bin").permissions());
        assertEquals(0020000, e.get("dev/console").type());
        assertEquals(5, e.get("dev/console").rdevMajor());
        assertEquals(1, e.get("dev/console").rdevMinor());
        assertEquals(0100000, e.get("bin/busybox").type());
        assertEquals(0755, e.get("bin/busybox").permissions());
        assertArrayEquals(five, e.get("bin/busybox").data());
        assertEquals(0120000, e.get("bin/sh").type());
        assertEquals("/bin/busybox", e.get("bin/sh").text());
        assertEquals(0700, e.get("init").permissions());
        assertEquals(6, e.values().stream().mapToLong(Cpio.Entry::ino).distinct().count(), "inodes are distinct");
    }

    @Test
    void aStreamedArchiveEqualsTheInMemoryOne() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Initramfs streamed = new Initramfs(out).directory("a");
        streamed.file("a/b", 0644, new byte[3]);
        streamed.finish();
        assertArrayEquals(new Initramfs().directory("a").file("a/b", 0644, new byte[3]).toBytes(), out.toByteArray());
        assertEquals(out.size(), streamed.size());
        assertThrows(IllegalStateException.class, () -> streamed.directory("c"), "nothing after the trailer");
        assertThrows(IllegalStateException.class, streamed::toBytes, "a streamed archive has no bytes to return");
    }

    @Test
    void badNamesModesAndDeviceNumbersAreRefused() throws IOException {
        Initramfs cpio = new Initramfs().directory("bin");
        for (String bad : List.of("", "/bin/x", "bin/", "bin//x", "bin/../x", "./x", "bin/.", "TRAILER!!!", "a\0b")) {
            assertThrows(IllegalArgumentException.class, () -> cpio.file(bad, 0644, new byte[0]), "name '" + bad + "'");
        }
        assertThrows(IllegalArgumentException.class, () -> cpio.file("x".repeat(Initramfs.MAX_NAME_BYTES), 0644,
                new byte[0]), "a name longer than PATH_MAX");
        IllegalArgumentException noParent = assertThrows(IllegalArgumentException.class,
                () -> cpio.file("etc/passwd", 0644, new byte[0]));
        assertTrue(noParent.getMessage().contains("add its directory etc first"), noParent.getMessage());
        cpio.file("bin/x", 0644, new byte[0]);
        assertThrows(IllegalArgumentException.class, () -> cpio.file("bin/x", 0644, new byte[0]), "a duplicate");
        assertThrows(IllegalArgumentException.class, () -> cpio.file("bin/y", 010000, new byte[0]), "not a permission");
        assertThrows(IllegalArgumentException.class, () -> cpio.file("bin/y", -1, new byte[0]), "negative mode");
        assertThrows(IllegalArgumentException.class, () -> cpio.characterDevice("bin/c", 4096, 0), "major > 12 bits");
        assertThrows(IllegalArgumentException.class, () -> cpio.characterDevice("bin/c", 1, 1 << 20), "minor > 20 bits");
        assertThrows(IllegalArgumentException.class, () -> cpio.symlink("bin/l", ""), "an empty link target");
        // the refused entries left nothing behind: the archive still parses and holds what was accepted
        assertEquals(List.of("bin", "bin/x"), Cpio.names(Cpio.read(cpio.toBytes())));
    }
}
