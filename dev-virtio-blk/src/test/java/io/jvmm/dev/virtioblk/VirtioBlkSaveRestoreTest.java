package io.jvmm.dev.virtioblk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.PciAddress;
import io.jvmm.api.device.SavedStateBlob;
import io.jvmm.testkit.FakeBoard;
import io.jvmm.testkit.FakeGuestMemory;
import io.jvmm.testkit.VirtioPciDriver;
import io.jvmm.testkit.VirtioRestoreHarness;
import io.jvmm.testkit.VirtioRestoreHarness.Chain;
import io.jvmm.virtio.VirtioPciDevice;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * virtio-blk saved and restored mid-traffic (issue 19): the same seeded reads, writes, flushes and
 * ID requests run straight through and across a save, the old device closed (its process gone) and
 * a restore into a new device that re-opened the image give the same used ring, bytes read,
 * interrupts, guest memory and image; an image of another size is refused, naming the disk.
 */
class VirtioBlkSaveRestoreTest {
    static final int SLOT = 6;
    static final int SECTORS = 256;
    static final long FEATURES = VirtioPciDriver.F_VERSION_1 | VirtioPciDriver.F_RING_INDIRECT_DESC
            | VirtioBlk.F_FLUSH | VirtioBlk.F_BLK_SIZE | VirtioBlk.F_SEG_MAX | VirtioBlk.F_SIZE_MAX;

    @TempDir
    Path dir;

    final List<VirtioPciDevice> open = new ArrayList<>();

    @AfterEach
    void closeAll() {
        open.forEach(VirtioPciDevice::close);
    }

    record Rig(FakeBoard board, VirtioPciDevice device) {}

    Rig rig(FakeGuestMemory ram, Path image, boolean msix) {
        FakeBoard board = new FakeBoard().withGuestMemory(ram);
        if (msix) {
            board.withMessageInterrupts();
        }
        try {
            VirtioPciDevice d = new VirtioPciDevice("disk0", new PciAddress(0, SLOT, 0),
                    new VirtioBlk("disk0", BlockImage.open(image, false), "serial-1", ram), board);
            open.add(d);
            return new Rig(board, d);
        } catch (BlockImage.ImageException e) {
            throw new AssertionError(e.getMessage(), e);
        }
    }

    Path image(String name, int sectors) {
        try {
            byte[] content = new byte[sectors * 512];
            new Random(5).nextBytes(content);
            return Files.write(dir.resolve(name), content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] header(int type, long sector) {
        return ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putInt(type).putInt(0).putLong(sector).array();
    }

    /** A random request: mostly reads and writes of 1-8 sectors within the disk, some flushes and IDs. */
    static Chain chain(Random r, int queue) {
        int kind = r.nextInt(10);
        int sectors = 1 + r.nextInt(8);
        long sector = r.nextInt(SECTORS - sectors + 1);
        if (kind < 4) {
            return new Chain(List.of(header(VirtioBlk.T_IN, sector)), new int[] {sectors * 512, 1});
        }
        if (kind < 8) {
            byte[] data = new byte[sectors * 512];
            r.nextBytes(data);
            return new Chain(List.of(header(VirtioBlk.T_OUT, sector), data), new int[] {1});
        }
        if (kind == 8) {
            return new Chain(List.of(header(VirtioBlk.T_FLUSH, 0)), new int[] {1});
        }
        return new Chain(List.of(header(VirtioBlk.T_GET_ID, 0)), new int[] {20, 1});
    }

    Object[] run(long seed, boolean eventIdx, boolean msix, boolean restore) throws IOException {
        FakeGuestMemory ram = new FakeGuestMemory(VirtioRestoreHarness.MEMORY);
        Path image = image("disk-" + seed + "-" + restore + ".img", SECTORS);
        Rig a = rig(ram, image, msix);
        VirtioRestoreHarness h = new VirtioRestoreHarness(ram, a.board(), a.device());
        h.start(FEATURES | (eventIdx ? VirtioPciDriver.F_EVENT_IDX : 0), msix, 32);
        Random traffic = new Random(seed);
        int before = 20 + traffic.nextInt(200);
        for (int i = 0; i < before; i++) {
            h.step(traffic, VirtioBlkSaveRestoreTest::chain);
        }
        h.post(0, chain(traffic, 0)); // posted, not notified
        h.post(0, chain(traffic, 0));
        h.notifyDevice(0); // notified, not processed
        SavedStateBlob blob = h.save();
        if (restore) {
            a.device().close(); // the old process is gone: the image is free again
            open.remove(a.device());
            Rig b = rig(ram, image, msix);
            b.device().restore(blob);
            h.switchTo(b.board(), b.device());
        }
        h.mark("saved");
        h.notifyEveryQueue();
        for (int i = 0; i < 300; i++) {
            h.step(traffic, VirtioBlkSaveRestoreTest::chain);
        }
        h.drain(10);
        return new Object[] {h.log(), h.memoryImage(), Files.readAllBytes(image)};
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
    void restoredDiskContinuesExactlyAsTheOriginal(long seed) throws IOException {
        boolean eventIdx = seed % 2 == 0;
        boolean msix = seed % 3 == 0;
        Object[] straight = run(seed, eventIdx, msix, false);
        Object[] restored = run(seed, eventIdx, msix, true);
        @SuppressWarnings("unchecked")
        List<String> log = (List<String>) straight[0];
        assertTrue(log.stream().filter(l -> l.startsWith("used")).count() > 20, "the traffic completed requests");
        assertEquals(log, restored[0]);
        assertArrayEquals((byte[]) straight[1], (byte[]) restored[1], "guest memory");
        assertArrayEquals((byte[]) straight[2], (byte[]) restored[2], "the image");
    }

    @Test
    void anImageOfAnotherSizeIsRefusedNamingTheDisk() {
        FakeGuestMemory ram = new FakeGuestMemory(VirtioRestoreHarness.MEMORY);
        Rig a = rig(ram, image("a.img", SECTORS), false);
        VirtioRestoreHarness h = new VirtioRestoreHarness(ram, a.board(), a.device());
        h.start(FEATURES, false, 32);
        SavedStateBlob blob = h.save();
        Path bigger = image("bigger.img", SECTORS * 2);
        IllegalArgumentException e = VirtioRestoreHarness.assertRefused(rig(ram, bigger, false).device(), blob,
                "disk0");
        assertTrue(e.getMessage().contains(bigger.toString()) && e.getMessage().contains("512 sectors")
                && e.getMessage().contains("had 256"), e.getMessage());
    }

    /** The VM ran on after the snapshot (or something else wrote the image): restoring would corrupt it. */
    @Test
    void anImageWrittenSinceTheSnapshotIsRefusedNamingTheDisk() throws IOException {
        FakeGuestMemory ram = new FakeGuestMemory(VirtioRestoreHarness.MEMORY);
        Path image = image("later.img", SECTORS);
        Rig a = rig(ram, image, false);
        VirtioRestoreHarness h = new VirtioRestoreHarness(ram, a.board(), a.device());
        h.start(FEATURES, false, 32);
        SavedStateBlob blob = h.save();
        a.device().close();
        open.remove(a.device());
        try (var ch = java.nio.channels.FileChannel.open(image, java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[512]), 0);
        }
        // a write within the file system's timestamp granularity must not pass unnoticed either
        Files.setLastModifiedTime(image, java.nio.file.attribute.FileTime.from(
                Files.getLastModifiedTime(image).toInstant().plusSeconds(1)));
        IllegalArgumentException e = VirtioRestoreHarness.assertRefused(rig(ram, image, false).device(), blob, "disk0");
        assertTrue(e.getMessage().contains(image.toString()) && e.getMessage().contains("modified after the snapshot"),
                e.getMessage());
    }

    @Test
    void hostileBlobsAreRefusedAndChangeNothing() {
        FakeGuestMemory ram = new FakeGuestMemory(VirtioRestoreHarness.MEMORY);
        Path image = image("h.img", SECTORS);
        Rig a = rig(ram, image, true);
        VirtioRestoreHarness h = new VirtioRestoreHarness(ram, a.board(), a.device());
        h.start(FEATURES | VirtioPciDriver.F_EVENT_IDX, true, 32);
        SavedStateBlob good = h.save();
        a.device().close();
        open.remove(a.device());
        VirtioRestoreHarness.assertHostileBlobsRefused(good, () -> {
            open.forEach(VirtioPciDevice::close);
            open.clear();
            return rig(ram, image, true).device();
        }, 11, 1500);
    }
}
