package io.jvmm.dev.virtioblk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.PciAddress;
import io.jvmm.api.handles.VirtioBlkHandle;
import io.jvmm.testkit.FakeBoard;
import io.jvmm.testkit.FakeGuestMemory;
import io.jvmm.testkit.MapConfig;
import io.jvmm.testkit.VirtioPciDriver;
import io.jvmm.testkit.VirtioPciDriver.Queue;
import io.jvmm.testkit.VirtioPciDriver.Used;
import io.jvmm.virtio.VirtioPciDevice;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** virtio-blk over the modern PCI transport on a real image file, driven by the testkit's driver. */
class VirtioBlkTest {
    static final int SLOT = 6;
    static final long RINGS = 0x10000;
    static final long HDR = 0x20000;     // request headers, 0x100 apart
    static final long STATUS = 0x28000;  // status bytes, 0x100 apart
    static final long DATA = 0x100000;   // data buffers
    static final int SECTORS = 2048;     // a 1 MiB image
    static final int QSIZE = 64;
    static final long BASE = VirtioPciDriver.F_VERSION_1 | VirtioPciDriver.F_RING_INDIRECT_DESC;
    static final int W = VirtioPciDriver.DESC_F_WRITE;
    static final int N = VirtioPciDriver.DESC_F_NEXT;

    @TempDir
    Path dir;

    final FakeGuestMemory ram = new FakeGuestMemory(32 << 20);
    final FakeBoard board = new FakeBoard().withGuestMemory(ram);
    byte[] content;
    Path imagePath;
    BlockImage image;
    VirtioPciDevice dev;
    VirtioPciDriver driver;
    int nextDesc;
    int nextSlot;

    /** A 1 MiB image of seeded random bytes and a device on it. */
    void open(boolean readOnly) throws Exception {
        content = new byte[SECTORS * 512];
        new Random(7).nextBytes(content);
        imagePath = dir.resolve("disk.img");
        Files.write(imagePath, content);
        image = BlockImage.open(imagePath, readOnly);
        dev = new VirtioPciDevice("blk", new PciAddress(0, SLOT, 0), new VirtioBlk("blk", image, "serial-1", ram), board);
        driver = new VirtioPciDriver(dev, ram);
    }

    @AfterEach
    void close() throws Exception {
        if (image != null) {
            image.close();
        }
    }

    Queue ready(long features) {
        assertTrue(driver.negotiate(features));
        Queue q = driver.setUpQueue(0, QSIZE, RINGS);
        driver.driverOk();
        nextDesc = 0;
        nextSlot = 0;
        return q;
    }

    Queue ready() {
        return ready(BASE | VirtioBlk.F_FLUSH | VirtioBlk.F_DISCARD | VirtioBlk.F_WRITE_ZEROES
                | VirtioBlk.F_SEG_MAX | VirtioBlk.F_SIZE_MAX | VirtioBlk.F_BLK_SIZE);
    }

    /** A request in flight: its head, where its status byte lands. */
    record Req(int head, long status) {}

    /**
     * Writes the 16-byte header and links buffers (address, length, flags) after it, then a 1-byte
     * writable status; publishes the chain.
     */
    Req request(Queue q, int type, long sector, long... buffers) throws Exception {
        long hdr = HDR + 0x100L * nextSlot;
        long status = STATUS + 0x100L * nextSlot;
        nextSlot = (nextSlot + 1) % 64;
        ram.write32(hdr, type);
        ram.write32(hdr + 4, 0);
        ram.write64(hdr + 8, sector);
        ram.write(status, new byte[] {(byte) 0xEE}, 0, 1);
        long[] all = new long[buffers.length + 6];
        all[0] = hdr;
        all[1] = 16;
        all[2] = 0;
        System.arraycopy(buffers, 0, all, 3, buffers.length);
        all[all.length - 3] = status;
        all[all.length - 2] = 1;
        all[all.length - 1] = W;
        return new Req(chain(q, all), status);
    }

    /** Links raw (address, length, flags) triples into a chain and publishes it; returns its head. */
    int chain(Queue q, long... triples) {
        int head = nextDesc;
        int n = triples.length / 3;
        for (int k = 0; k < n; k++) {
            int i = (head + k) % QSIZE;
            boolean last = k == n - 1;
            q.writeDescriptor(i, triples[3 * k], triples[3 * k + 1], (int) triples[3 * k + 2] | (last ? 0 : N),
                    last ? 0 : (i + 1) % QSIZE);
        }
        nextDesc = (head + n) % QSIZE;
        q.publish(head);
        return head;
    }

    int statusOf(Req r) throws Exception {
        byte[] b = new byte[1];
        ram.read(r.status, b, 0, 1);
        return b[0] & 0xFF;
    }

    byte[] ramAt(long at, int n) throws Exception {
        byte[] b = new byte[n];
        ram.read(at, b, 0, n);
        return b;
    }

    void run(Queue q) {
        q.notifyDevice();
        dev.poll();
    }

    byte[] file() throws Exception {
        return Files.readAllBytes(imagePath);
    }

    long config(int offset, int size) {
        byte[] b = new byte[size];
        dev.barRead(0, VirtioPciDevice.DEVICE_OFFSET + offset, b);
        long v = 0;
        for (int i = size - 1; i >= 0; i--) {
            v = v << 8 | (b[i] & 0xFF);
        }
        return v;
    }

    @Test
    void configurationAndFeaturesDescribeTheImage() throws Exception {
        open(false);
        assertEquals(0x1042, dev.info().deviceId(), "§4.1.2: 0x1040 + 2");
        assertEquals(SECTORS, config(0, 8), "capacity in 512-byte sectors");
        assertEquals(VirtioBlk.SIZE_MAX, config(8, 4));
        assertEquals(VirtioBlk.SEG_MAX, config(12, 4));
        assertEquals(512, config(20, 4), "blk_size");
        assertEquals(VirtioBlk.MAX_DISCARD_SECTORS, config(36, 4));
        assertEquals(VirtioBlk.MAX_DISCARD_SEG, config(40, 4));
        assertEquals(VirtioBlk.MAX_WRITE_ZEROES_SECTORS, config(48, 4));
        assertEquals(1, config(52, 4));
        assertEquals(0, config(56, 1), "write_zeroes_may_unmap: zeros are always written");
        long f = driver.deviceFeatures();
        long want = VirtioBlk.F_SIZE_MAX | VirtioBlk.F_SEG_MAX | VirtioBlk.F_BLK_SIZE | VirtioBlk.F_FLUSH
                | VirtioBlk.F_DISCARD | VirtioBlk.F_WRITE_ZEROES;
        assertEquals(BASE | VirtioPciDriver.F_EVENT_IDX | want, f, "the transport adds EVENT_IDX");
    }

    @Test
    void aReadOnlyImageOffersRoAndNoDiscard() throws Exception {
        open(true);
        long f = driver.deviceFeatures();
        assertTrue((f & VirtioBlk.F_RO) != 0);
        assertEquals(0, f & (VirtioBlk.F_DISCARD | VirtioBlk.F_WRITE_ZEROES));
    }

    @Test
    void readsSectorsIntoGuestMemory() throws Exception {
        open(false);
        Queue q = ready();
        Req r = request(q, VirtioBlk.T_IN, 3, DATA, 1024, W, DATA + 0x10000, 512, W);
        run(q);
        assertEquals(List.of(new Used(r.head, 1536 + 1)), q.takeUsed());
        assertEquals(VirtioBlk.S_OK, statusOf(r));
        assertArrayEquals(Arrays.copyOfRange(content, 3 * 512, 5 * 512), ramAt(DATA, 1024));
        assertArrayEquals(Arrays.copyOfRange(content, 5 * 512, 6 * 512), ramAt(DATA + 0x10000, 512));
    }

    /**
     * Guest buffers that memory can expose as a view are read into directly, the others through the
     * bounce buffer (the fake RAM gives views within a 4 KiB page only): both carry the same bytes.
     */
    @Test
    void buffersWithAndWithoutADirectViewCarryTheSameBytes() throws Exception {
        open(false);
        Queue q = ready();
        long across = DATA + 0x2000 - 512; // 1024 bytes over a page boundary: no view
        Req r = request(q, VirtioBlk.T_IN, 10, DATA, 512, W, across, 1024, W);
        byte[] data = new byte[1536];
        new Random(5).nextBytes(data);
        ram.write(DATA + 0x4000, data, 0, data.length);
        Req w = request(q, VirtioBlk.T_OUT, 40, DATA + 0x4000, 512, 0, DATA + 0x5000 - 512, 1024, 0);
        ram.write(DATA + 0x5000 - 512, data, 512, 1024);
        run(q);
        assertEquals(VirtioBlk.S_OK, statusOf(r));
        assertEquals(VirtioBlk.S_OK, statusOf(w));
        assertArrayEquals(Arrays.copyOfRange(content, 10 * 512, 11 * 512), ramAt(DATA, 512), "through a view");
        assertArrayEquals(Arrays.copyOfRange(content, 11 * 512, 13 * 512), ramAt(across, 1024), "copied");
        assertArrayEquals(data, Arrays.copyOfRange(file(), 40 * 512, 43 * 512), "both ways");
    }

    /** Several guest buffers with views move in one vectored call (readv/writev), in order. */
    @Test
    void scatteredBuffersWithViewsAreFilledAndDrainedInOrder() throws Exception {
        open(false);
        Queue q = ready();
        Req r = request(q, VirtioBlk.T_IN, 20, DATA + 0x3000, 1024, W, DATA, 512, W, DATA + 0x1800, 1024, W);
        byte[] data = new byte[2560];
        new Random(11).nextBytes(data);
        ram.write(DATA + 0x6000, data, 0, 1024);
        ram.write(DATA + 0x8200, data, 1024, 1536);
        Req w = request(q, VirtioBlk.T_OUT, 60, DATA + 0x6000, 1024, 0, DATA + 0x8200, 1536, 0);
        run(q);
        assertEquals(VirtioBlk.S_OK, statusOf(r));
        assertEquals(VirtioBlk.S_OK, statusOf(w));
        assertArrayEquals(Arrays.copyOfRange(content, 20 * 512, 22 * 512), ramAt(DATA + 0x3000, 1024));
        assertArrayEquals(Arrays.copyOfRange(content, 22 * 512, 23 * 512), ramAt(DATA, 512));
        assertArrayEquals(Arrays.copyOfRange(content, 23 * 512, 25 * 512), ramAt(DATA + 0x1800, 1024));
        assertArrayEquals(data, Arrays.copyOfRange(file(), 60 * 512, 65 * 512));
    }

    @Test
    void writesReachTheFileAndFlushSucceeds() throws Exception {
        open(false);
        Queue q = ready();
        byte[] data = new byte[4096 + 512];
        new Random(99).nextBytes(data);
        ram.write(DATA, data, 0, data.length);
        Req w = request(q, VirtioBlk.T_OUT, 100, DATA, 4096, 0, DATA + 4096, 512, 0);
        Req fl = request(q, VirtioBlk.T_FLUSH, 0);
        run(q);
        assertEquals(List.of(new Used(w.head, 1), new Used(fl.head, 1)), q.takeUsed());
        assertEquals(VirtioBlk.S_OK, statusOf(w));
        assertEquals(VirtioBlk.S_OK, statusOf(fl));
        byte[] expect = content.clone();
        System.arraycopy(data, 0, expect, 100 * 512, data.length);
        assertArrayEquals(expect, file(), "exactly those sectors changed");
    }

    @Test
    void writesWithoutFlushNegotiatedStillComplete() throws Exception {
        open(false);
        Queue q = ready(BASE);
        ram.write(DATA, new byte[512], 0, 512);
        Req w = request(q, VirtioBlk.T_OUT, 0, DATA, 512, 0);
        run(q);
        assertEquals(VirtioBlk.S_OK, statusOf(w));
        assertArrayEquals(new byte[512], Arrays.copyOf(file(), 512));
    }

    @Test
    void getIdAnswersTheSerialNulPadded() throws Exception {
        open(false);
        Queue q = ready();
        ram.write(DATA, new byte[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, 0, 22);
        Req r = request(q, VirtioBlk.T_GET_ID, 0, DATA, 20, W);
        run(q);
        assertEquals(List.of(new Used(r.head, 21)), q.takeUsed());
        assertEquals(VirtioBlk.S_OK, statusOf(r));
        byte[] want = new byte[20];
        System.arraycopy("serial-1".getBytes(), 0, want, 0, 8);
        assertArrayEquals(want, ramAt(DATA, 20));
        assertEquals(1, ramAt(DATA + 20, 1)[0], "nothing beyond the 20 bytes");
    }

    @Test
    void aReadOnlyDiskRefusesEveryWriteAndKeepsTheFile() throws Exception {
        open(true);
        Queue q = ready(BASE | VirtioBlk.F_RO | VirtioBlk.F_FLUSH);
        Req w = request(q, VirtioBlk.T_OUT, 0, DATA, 512, 0);
        Req z = request(q, VirtioBlk.T_WRITE_ZEROES, 0, range(DATA, 0, 8, 0), 16, 0);
        Req d = request(q, VirtioBlk.T_DISCARD, 0, range(DATA + 64, 0, 8, 0), 16, 0);
        Req fl = request(q, VirtioBlk.T_FLUSH, 0);
        Req rd = request(q, VirtioBlk.T_IN, 0, DATA + 0x1000, 512, W);
        run(q);
        assertEquals(5, q.takeUsed().size());
        assertEquals(VirtioBlk.S_IOERR, statusOf(w));
        assertEquals(VirtioBlk.S_IOERR, statusOf(z));
        assertEquals(VirtioBlk.S_IOERR, statusOf(d));
        assertEquals(VirtioBlk.S_OK, statusOf(fl), "a flush has nothing to do");
        assertEquals(VirtioBlk.S_OK, statusOf(rd), "reads work");
        assertArrayEquals(content, file());
    }

    @Test
    void outOfRangeAndPartialSectorsAreIoErrors() throws Exception {
        open(false);
        Queue q = ready();
        Req past = request(q, VirtioBlk.T_IN, SECTORS - 1, DATA, 1024, W);
        Req huge = request(q, VirtioBlk.T_IN, -1L, DATA, 512, W);
        Req wrap = request(q, VirtioBlk.T_OUT, Long.MAX_VALUE / 256, DATA, 512, 0);
        Req odd = request(q, VirtioBlk.T_OUT, 0, DATA, 100, 0);
        Req last = request(q, VirtioBlk.T_IN, SECTORS - 1, DATA, 512, W);
        Req end = request(q, VirtioBlk.T_IN, SECTORS, DATA, 0, W);
        run(q);
        assertEquals(6, q.takeUsed().size());
        assertEquals(VirtioBlk.S_IOERR, statusOf(past));
        assertEquals(VirtioBlk.S_IOERR, statusOf(huge));
        assertEquals(VirtioBlk.S_IOERR, statusOf(wrap));
        assertEquals(VirtioBlk.S_IOERR, statusOf(odd));
        assertEquals(VirtioBlk.S_OK, statusOf(last), "the last sector is in range");
        assertEquals(VirtioBlk.S_OK, statusOf(end), "no data at the end: nothing to do");
        assertArrayEquals(content, file());
        assertEquals(0, dev.status() & VirtioPciDevice.STATUS_DEVICE_NEEDS_RESET, "bad requests are not protocol errors");
    }

    @Test
    void badLayoutsGetAStatusNotACrash() throws Exception {
        open(false);
        Queue q = ready();
        // a header of 8 bytes only
        ram.write32(HDR + 0x3000, VirtioBlk.T_IN);
        int shortHdr = chain(q, HDR + 0x3000, 8, 0, STATUS + 0x3000, 1, W);
        // no writable byte for the status at all
        int noStatus = chain(q, HDR, 16, 0, DATA, 512, 0);
        // a header split 4 + 12 over two descriptors, data and status in one writable buffer (§2.7.4.2)
        ram.write32(HDR + 0x800, VirtioBlk.T_IN);
        ram.write32(HDR + 0x804, 0);
        ram.write64(HDR + 0x808, 2);
        int split = chain(q, HDR + 0x800, 4, 0, HDR + 0x804, 12, 0, DATA + 0x2000, 513, W);
        // unknown types
        Req lifetime = request(q, 10, 0, DATA + 0x4000, 64, W);
        Req unknown = request(q, 0x7FFF_FFFF, 0);
        run(q);
        List<Used> used = q.takeUsed();
        assertEquals(List.of(new Used(shortHdr, 1), new Used(noStatus, 0), new Used(split, 513),
                new Used(lifetime.head, 1), new Used(unknown.head, 1)), used);
        assertEquals(VirtioBlk.S_IOERR, ramAt(STATUS + 0x3000, 1)[0]);
        assertArrayEquals(Arrays.copyOfRange(content, 1024, 1536), ramAt(DATA + 0x2000, 512));
        assertEquals(VirtioBlk.S_OK, ramAt(DATA + 0x2000 + 512, 1)[0], "the status is the last writable byte");
        assertEquals(VirtioBlk.S_UNSUPP, statusOf(lifetime));
        assertEquals(VirtioBlk.S_UNSUPP, statusOf(unknown));
        assertEquals(0, dev.status() & VirtioPciDevice.STATUS_DEVICE_NEEDS_RESET);
        assertArrayEquals(content, file());
    }

    @Test
    void aRequestBeyondTheAnnouncedLimitsFails() throws Exception {
        FakeGuestMemory big = new FakeGuestMemory(1L << 30);
        content = new byte[512];
        imagePath = dir.resolve("small.img");
        Files.write(imagePath, content);
        // a sparse image larger than one request may be
        try (var f = new java.io.RandomAccessFile(imagePath.toFile(), "rw")) {
            f.setLength(VirtioBlk.MAX_DATA + (1 << 20));
        }
        image = BlockImage.open(imagePath, false);
        VirtioPciDevice d = new VirtioPciDevice("blk", new PciAddress(0, SLOT, 0), new VirtioBlk("blk", image, "", big),
                new FakeBoard().withGuestMemory(big));
        VirtioPciDriver drv = new VirtioPciDriver(d, big);
        assertTrue(drv.negotiate(BASE));
        Queue q = drv.setUpQueue(0, 8, RINGS);
        drv.driverOk();
        big.write32(HDR, VirtioBlk.T_IN);
        big.write64(HDR + 8, 0);
        // one 768 MiB writable buffer (RAM allows it; SEG_MAX x SIZE_MAX is 254 MiB)
        q.writeDescriptor(0, HDR, 16, N, 1);
        q.writeDescriptor(1, 0x1000_0000L, 0x3000_0000L, W | N, 2);
        q.writeDescriptor(2, STATUS, 1, W, 0);
        q.publish(0);
        q.notifyDevice();
        d.poll();
        assertEquals(List.of(new Used(0, 1)), q.takeUsed());
        byte[] s = new byte[1];
        big.read(STATUS, s, 0, 1);
        assertEquals(VirtioBlk.S_IOERR, s[0]);
    }

    /** A discard/write-zeroes range (§5.2.6): le64 sector, le32 num_sectors, le32 flags, written at {@code at}. */
    long range(long at, long sector, int count, int flags) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(sector).putInt(count).putInt(flags);
        ram.write(at, b.array(), 0, 16);
        return at;
    }

    @Test
    void writeZeroesWritesZeros() throws Exception {
        open(false);
        Queue q = ready();
        Req z = request(q, VirtioBlk.T_WRITE_ZEROES, 0, range(DATA, 10, 600, VirtioBlk.WRITE_ZEROES_UNMAP), 16, 0);
        run(q);
        assertEquals(List.of(new Used(z.head, 1)), q.takeUsed());
        assertEquals(VirtioBlk.S_OK, statusOf(z));
        byte[] expect = content.clone();
        Arrays.fill(expect, 10 * 512, 610 * 512, (byte) 0);
        assertArrayEquals(expect, file(), "zeros exactly there, with or without unmap");
    }

    @Test
    void badWriteZeroesChangeNothing() throws Exception {
        open(false);
        Queue q = ready();
        Req twoSegs = request(q, VirtioBlk.T_WRITE_ZEROES, 0, range(DATA, 0, 8, 0), 16, 0, range(DATA + 16, 8, 8, 0), 16, 0);
        Req reserved = request(q, VirtioBlk.T_WRITE_ZEROES, 0, range(DATA + 64, 0, 8, 2), 16, 0);
        Req past = request(q, VirtioBlk.T_WRITE_ZEROES, 0, range(DATA + 128, SECTORS - 4, 8, 0), 16, 0);
        Req tooMany = request(q, VirtioBlk.T_WRITE_ZEROES, 0,
                range(DATA + 192, 0, VirtioBlk.MAX_WRITE_ZEROES_SECTORS + 1, 0), 16, 0);
        Req partial = request(q, VirtioBlk.T_WRITE_ZEROES, 0, DATA + 256, 12, 0);
        run(q);
        assertEquals(5, q.takeUsed().size());
        assertEquals(VirtioBlk.S_IOERR, statusOf(twoSegs), "max_write_zeroes_seg is 1");
        assertEquals(VirtioBlk.S_UNSUPP, statusOf(reserved), "reserved flags");
        assertEquals(VirtioBlk.S_IOERR, statusOf(past));
        assertEquals(VirtioBlk.S_IOERR, statusOf(tooMany));
        assertEquals(VirtioBlk.S_IOERR, statusOf(partial), "a range must be 16 bytes");
        assertArrayEquals(content, file());
    }

    @Test
    void writeZeroesNotNegotiatedIsUnsupported() throws Exception {
        open(false);
        Queue q = ready(BASE | VirtioBlk.F_FLUSH);
        Req z = request(q, VirtioBlk.T_WRITE_ZEROES, 0, range(DATA, 0, 8, 0), 16, 0);
        Req d = request(q, VirtioBlk.T_DISCARD, 0, range(DATA + 16, 0, 8, 0), 16, 0);
        run(q);
        assertEquals(VirtioBlk.S_UNSUPP, statusOf(z));
        assertEquals(VirtioBlk.S_UNSUPP, statusOf(d));
        assertArrayEquals(content, file());
    }

    @Test
    void discardIsAcceptedAsAHintAndKeepsTheData() throws Exception {
        open(false);
        Queue q = ready();
        Req d = request(q, VirtioBlk.T_DISCARD, 0, range(DATA, 0, 8, 0), 16, 0, range(DATA + 16, 100, 50, 0), 16, 0);
        Req unmap = request(q, VirtioBlk.T_DISCARD, 0, range(DATA + 64, 0, 8, VirtioBlk.WRITE_ZEROES_UNMAP), 16, 0);
        Req past = request(q, VirtioBlk.T_DISCARD, 0, range(DATA + 128, SECTORS, 1, 0), 16, 0);
        long[] many = new long[3 * (VirtioBlk.MAX_DISCARD_SEG + 1)];
        for (int i = 0; i <= VirtioBlk.MAX_DISCARD_SEG; i++) {
            many[3 * i] = range(DATA + 0x1000 + 16L * i, i, 1, 0);
            many[3 * i + 1] = 16;
        }
        Req tooMany = request(q, VirtioBlk.T_DISCARD, 0, many);
        run(q);
        assertEquals(4, q.takeUsed().size());
        assertEquals(VirtioBlk.S_OK, statusOf(d));
        assertEquals(VirtioBlk.S_UNSUPP, statusOf(unmap), "§5.2.6.2: no unmap flag on a discard");
        assertEquals(VirtioBlk.S_IOERR, statusOf(past));
        assertEquals(VirtioBlk.S_IOERR, statusOf(tooMany));
        assertArrayEquals(content, file(), "a discard does not touch the image (no hole punching in the JDK)");
    }

    @Test
    void manyRequestsInFlightAreServedInOnePoll() throws Exception {
        open(false);
        Queue q = ready();
        Req[] reqs = new Req[8];
        for (int i = 0; i < reqs.length; i++) {
            reqs[i] = request(q, VirtioBlk.T_IN, 8L * i, DATA + 0x1000L * i, 4096, W);
        }
        run(q);
        List<Used> used = q.takeUsed();
        assertEquals(8, used.size());
        for (int i = 0; i < reqs.length; i++) {
            assertEquals(new Used(reqs[i].head, 4097), used.get(i));
            assertArrayEquals(Arrays.copyOfRange(content, 4096 * i, 4096 * (i + 1)), ramAt(DATA + 0x1000L * i, 4096));
        }
    }

    @Test
    void oneCallStopsAtItsBudgetAndAsksForAnother() throws Exception {
        content = new byte[0];
        imagePath = dir.resolve("big.img");
        try (var f = new java.io.RandomAccessFile(imagePath.toFile(), "rw")) {
            f.setLength(32 << 20);
        }
        image = BlockImage.open(imagePath, false);
        dev = new VirtioPciDevice("blk", new PciAddress(0, SLOT, 0), new VirtioBlk("blk", image, "", ram), board);
        driver = new VirtioPciDriver(dev, ram);
        Queue q = ready();
        int n = (int) (2 * VirtioBlk.BYTES_PER_CALL / (1 << 20));
        for (int i = 0; i < n; i++) {
            request(q, VirtioBlk.T_IN, 2048L * i, DATA, 1 << 20, W);
        }
        int wakes = board.waker().wakes();
        run(q);
        assertEquals(n / 2, q.takeUsed().size(), "one call moves BYTES_PER_CALL");
        assertTrue(board.waker().wakes() > wakes, "and asks for another poll");
        dev.poll();
        assertEquals(n / 2, q.takeUsed().size(), "the rest, without a notification");
    }

    @Test
    void aResetBetweenNotificationAndServiceDropsTheRequest() throws Exception {
        open(false);
        Queue q = ready();
        ram.write(DATA, new byte[512], 0, 512);
        Req w = request(q, VirtioBlk.T_OUT, 0, DATA, 512, 0);
        q.notifyDevice();
        driver.setStatus(0); // §2.4: the driver resets the device before the device thread got to it
        dev.poll();
        assertEquals(0xEE, statusOf(w), "not served");
        assertArrayEquals(content, file());
        Queue again = ready();
        Req r = request(again, VirtioBlk.T_IN, 1, DATA + 0x1000, 512, W);
        run(again);
        assertEquals(List.of(new Used(r.head, 513)), again.takeUsed(), "the reset device works again");
        assertArrayEquals(Arrays.copyOfRange(content, 512, 1024), ramAt(DATA + 0x1000, 512));
    }

    @Test
    void aBufferOutsideRamIsAProtocolErrorNotACrash() throws Exception {
        open(false);
        Queue q = ready();
        request(q, VirtioBlk.T_IN, 0, 0xC000_0000L, 512, W);
        run(q);
        assertEquals(List.of(), q.takeUsed());
        assertTrue((driver.status() & VirtioPciDriver.STATUS_DEVICE_NEEDS_RESET) != 0);
        assertArrayEquals(content, file());
    }

    // --- the image file ------------------------------------------------------------------------

    @Test
    void imagesThatCannotBeUsedAreRefusedWithTheirReason() throws Exception {
        var missing = assertThrows(BlockImage.ImageException.class, () -> BlockImage.open(dir.resolve("none.img"), false));
        assertTrue(missing.getMessage().contains("no such file"), missing.getMessage());
        var directory = assertThrows(BlockImage.ImageException.class, () -> BlockImage.open(dir, true));
        assertTrue(directory.getMessage().contains("is a directory"), directory.getMessage());
        Path odd = dir.resolve("odd.img");
        Files.write(odd, new byte[1000]);
        var size = assertThrows(BlockImage.ImageException.class, () -> BlockImage.open(odd, true));
        assertTrue(size.getMessage().contains("1000 bytes, is not a multiple of 512"), size.getMessage());
    }

    @Test
    void aReadWriteImageIsUsedOnceInThisVm() throws Exception {
        open(false);
        var twice = assertThrows(BlockImage.ImageException.class, () -> BlockImage.open(imagePath, false));
        assertTrue(twice.getMessage().contains("already a disk of this VM"), twice.getMessage());
    }

    @Test
    void closingTheDeviceReleasesItsImageForTheNextVm() throws Exception {
        open(false);
        Queue q = ready();
        ram.write(DATA, new byte[512], 0, 512);
        Req w = request(q, VirtioBlk.T_OUT, 3, DATA, 512, 0);
        run(q);
        assertEquals(VirtioBlk.S_OK, statusOf(w));
        dev.close(); // what the board does when the VM ends
        image = BlockImage.open(imagePath, false); // the lock is free again: a second VM in this JVM may use it
        byte[] expected = content.clone();
        Arrays.fill(expected, 3 * 512, 4 * 512, (byte) 0);
        assertArrayEquals(expected, file(), "the write is in the file");
    }

    @Test
    void anotherProcessHoldingTheLockIsNamed() throws Exception {
        Path img = dir.resolve("shared.img");
        Files.write(img, new byte[4096]);
        Path locker = dir.resolve("Locker.java");
        Files.writeString(locker, """
                import java.nio.channels.FileChannel;
                import java.nio.file.*;
                public class Locker {
                    public static void main(String[] a) throws Exception {
                        try (FileChannel ch = FileChannel.open(Path.of(a[0]), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                            ch.lock();
                            System.out.println("locked");
                            System.out.flush();
                            System.in.read();
                        }
                    }
                }
                """);
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-Xshare:auto", locker.toString(), img.toString()).start();
        try {
            var out = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream()));
            assertEquals("locked", out.readLine());
            var rw = assertThrows(BlockImage.ImageException.class, () -> BlockImage.open(img, false));
            assertTrue(rw.getMessage().contains("locked by another process (pid " + p.pid()), rw.getMessage());
            var ro = assertThrows(BlockImage.ImageException.class, () -> BlockImage.open(img, true));
            assertTrue(ro.getMessage().contains("(pid " + p.pid()), "a reader waits for the writer too: " + ro.getMessage());
        } finally {
            p.getOutputStream().close();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        try (BlockImage free = BlockImage.open(img, false)) {
            assertFalse(free.readOnly(), "free again once that process ended");
        }
    }

    @Test
    void resolverParsesItsHandleAndOpensTheImage() throws Exception {
        Path img = dir.resolve("r.img");
        Files.write(img, new byte[8192]);
        VirtioBlkResolver r = new VirtioBlkResolver();
        VirtioBlkHandle h = r.parseHandle(new MapConfig(Map.of("path", img.toString(), "read_only", true,
                "pci_device", 7, "serial", "abc")));
        assertEquals(new VirtioBlkHandle(img.toString(), true, 7, "abc"), h);
        var device = r.resolve(h, board.context("virtio-blk"));
        assertEquals(new PciAddress(0, 7, 0), device.capabilities().pciFunction().orElseThrow().info().address());
        VirtioBlkHandle missing = new VirtioBlkHandle(dir.resolve("gone.img").toString(), false, 8, "");
        var e = assertThrows(io.jvmm.api.resource.ResolveException.class, () -> r.resolve(missing, board.context("d")));
        assertTrue(e.getMessage().contains("gone.img: no such file"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new VirtioBlkHandle("x", false, 6, "123456789012345678901"));
    }
}
