package io.jvmm.hv.kvm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GuestMemory.saveImage and RAM mapped from a memory image, on plain host memory (no KVM). */
class KvmMemoryImageTest {
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    private static void save(KvmGuestMemory memory, Path file) throws Exception {
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            memory.saveImage(out);
        }
    }

    @Test
    void anImageHoldsRamAtItsOffsetsAndIsSparse() throws Exception {
        Path file = dir.resolve("ram.img");
        Files.write(file, new byte[64 * 4096 + 5]); // stale content a reused file must not keep
        Files.write(file, "stale".getBytes(StandardCharsets.US_ASCII), StandardOpenOption.WRITE);
        KvmGuestMemory m = KvmGuestMemory.allocate(16 * MIB);
        try {
            m.write(0x1000, new byte[] {1, 2, 3});
            m.write(0x2fff, new byte[] {4, 5}); // across a page boundary: two dirty pages in one run
            m.write(8 * MIB, new byte[] {6});
            save(m, file);
        } finally {
            m.release();
        }
        assertEquals(16 * MIB, Files.size(file), "the file is as long as RAM, also with its last page zero");
        byte[] all = Files.readAllBytes(file);
        assertEquals(0, all[0], "the stale bytes are gone");
        assertArrayEquals(new byte[] {1, 2, 3}, java.util.Arrays.copyOfRange(all, 0x1000, 0x1003));
        assertArrayEquals(new byte[] {4, 5}, java.util.Arrays.copyOfRange(all, 0x2fff, 0x3001));
        assertEquals(6, all[(int) (8 * MIB)]);
        long allocatedKib = allocatedKib(file);
        if (allocatedKib >= 0) {
            assertTrue(allocatedKib <= 64, "all-zero pages are holes: " + allocatedKib + " KiB allocated");
        }
    }

    @Test
    void ramMappedFromAnImageReadsItLazilyAndNeverWritesIt() throws Exception {
        Path file = dir.resolve("ram.img");
        KvmGuestMemory first = KvmGuestMemory.allocate(8 * MIB);
        try {
            first.write(0x5000, "snapshot".getBytes(StandardCharsets.US_ASCII));
            save(first, file);
        } finally {
            first.release();
        }
        byte[] before = Files.readAllBytes(file);
        KvmGuestMemory m = KvmGuestMemory.allocate(8 * MIB, file);
        try {
            assertTrue(m.mappedFromImage());
            assertEquals("snapshot", new String(m.read(0x5000, 8), StandardCharsets.US_ASCII));
            m.write(0x5000, "modified".getBytes(StandardCharsets.US_ASCII));
            assertEquals("modified", new String(m.read(0x5000, 8), StandardCharsets.US_ASCII));
            assertArrayEquals(before, Files.readAllBytes(file), "copy-on-write: the image is unchanged");

            // saving a restored VM again writes what the guest sees now
            Path again = dir.resolve("again.img");
            save(m, again);
            assertEquals("modified", new String(Files.readAllBytes(again), 0x5000, 8, StandardCharsets.US_ASCII));

            // a VM reset zeroes RAM, not back to the image
            m.clear();
            assertFalse(m.mappedFromImage());
            assertArrayEquals(new byte[8], m.read(0x5000, 8));
            m.write(0x5000, new byte[] {9});
            assertEquals(9, m.read(0x5000, 1)[0], "RAM is usable after the reset");
            m.clear();
            assertEquals(0, m.read(0x5000, 1)[0]);
        } finally {
            m.release();
        }
        assertArrayEquals(before, Files.readAllBytes(file));
    }

    @Test
    void anImageOfAnotherSizeOrNoneIsAClearError() throws Exception {
        Path file = dir.resolve("small.img");
        Files.write(file, new byte[4096]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KvmGuestMemory.allocate(8 * MIB, file));
        assertTrue(e.getMessage().contains(file + " is 4096 bytes, but the VM's RAM is 8388608 bytes (8 MiB)"),
                e.getMessage());
        Path missing = dir.resolve("missing.img");
        e = assertThrows(IllegalArgumentException.class, () -> KvmGuestMemory.allocate(8 * MIB, missing));
        assertTrue(e.getMessage().contains(missing + " does not exist"), e.getMessage());
    }

    @Test
    void imagesOfMemoryAboveTheHoleAreContiguous() throws Exception {
        // 3 GiB + 4 MiB: the high region's bytes follow the low region's in the file
        long size = 3L * 1024 * MIB + 4 * MIB;
        Path file = dir.resolve("big.img");
        KvmGuestMemory m = KvmGuestMemory.allocate(size);
        try {
            m.write(KvmGuestMemory.HIGH_RAM_START + 0x10, new byte[] {42});
            save(m, file);
        } finally {
            m.release();
        }
        assertEquals(size, Files.size(file));
        try (FileChannel in = FileChannel.open(file)) {
            ByteBuffer one = ByteBuffer.allocate(1);
            in.read(one, KvmGuestMemory.MMIO_HOLE_START + 0x10);
            assertEquals(42, one.get(0));
        }
        KvmGuestMemory back = KvmGuestMemory.allocate(size, file);
        try {
            assertEquals(42, back.read(KvmGuestMemory.HIGH_RAM_START + 0x10, 1)[0]);
        } finally {
            back.release();
        }
    }

    /** Blocks the file system allocated for {@code file} (stat %b x %B), or -1 where stat cannot tell. */
    private static long allocatedKib(Path file) {
        try {
            Process stat = new ProcessBuilder("stat", "-c", "%b %B", file.toString()).start();
            String out = new String(stat.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            if (stat.waitFor() != 0) {
                return -1;
            }
            String[] parts = out.split(" ");
            return Long.parseLong(parts[0]) * Long.parseLong(parts[1]) / 1024;
        } catch (Exception e) {
            return -1;
        }
    }
}
