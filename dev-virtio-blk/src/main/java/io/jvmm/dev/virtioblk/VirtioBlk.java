package io.jvmm.dev.virtioblk;

import io.jvmm.api.device.DmaMemory;
import io.jvmm.api.device.SavedStateBlob;
import io.jvmm.api.support.StateFormat;
import io.jvmm.api.support.LogRateLimiter;
import io.jvmm.virtio.DescriptorChain;
import io.jvmm.virtio.VirtQueue;
import io.jvmm.virtio.VirtQueueException;
import io.jvmm.virtio.VirtioDevice;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.Optional;

/**
 * The block device (virtio 1.2 §5.2) on a raw image: one request queue; each chain is a request
 * header ({@code type, reserved, sector}: 16 device-readable bytes), the data (readable for writes,
 * writable for reads) and one status byte, the chain's last writable byte. The header may be split
 * over descriptors any way the driver likes (§2.7.4.2 message framing): the device addresses the
 * readable and writable bytes as two streams, never by descriptor.
 *
 * <p>Requests are served in order on the board's device thread with positional {@link FileChannel}
 * reads and writes through one reusable direct buffer (the api's {@link DmaMemory} copies between
 * guest RAM and a {@code ByteBuffer}; it gives no view of RAM to read a file into directly), so a
 * request allocates nothing. One {@link #process} call moves at most {@link #BYTES_PER_CALL} (and at
 * most a queue's worth of chains); chains left then get another call without a notification, so one
 * busy disk cannot hold the device thread that all devices share.
 *
 * <p>Features: SIZE_MAX and SEG_MAX (bounding a request at {@link #SEG_MAX} x {@link #SIZE_MAX}
 * bytes; a bigger one fails), BLK_SIZE 512, FLUSH ({@link FileChannel#force} before the request
 * completes; without FLUSH negotiated every write is forced before it completes, §5.2.6.3), RO for a
 * read-only image (every write, discard and write-zeroes fails with IOERR), and on a writable image
 * WRITE_ZEROES (zeros really written to the file, always, whatever the unmap flag says) and
 * DISCARD. A discard is accepted as a hint and leaves the data as it is: a pure-JDK VMM cannot punch
 * holes into a file, and §5.2.6 lets the device keep the data (a read after a discard may return old
 * data or zeros). Bad requests get a status, never an exception: a header shorter than 16 bytes, a
 * length that is not whole sectors, a range beyond the capacity, a write to a read-only disk or a
 * host I/O error give IOERR; an unknown type or unsupported flags UNSUPP. A chain without any
 * writable byte has nowhere for its status: it is returned with nothing written.
 *
 * <p>Saved state ({@link BlkState}): the capacity the driver was shown and the image's modification
 * time (a restore into an image changed since is refused). Requests are served whole
 * inside {@link #process}, so a stopped device has none in flight and holds no chain; the image
 * itself is the new run's (re-opened from its manifest), and a restore into an image of another
 * size is refused, naming the disk.
 */
final class VirtioBlk implements VirtioDevice {
    private static final System.Logger LOG = System.getLogger(VirtioBlk.class.getName());

    static final int DEVICE_ID = 2;
    static final int QUEUE_SIZE = 256;
    static final int SECTOR = BlockImage.SECTOR;

    /** §5.2.3: feature bits. */
    static final long F_SIZE_MAX = 1L << 1;
    static final long F_SEG_MAX = 1L << 2;
    static final long F_RO = 1L << 5;
    static final long F_BLK_SIZE = 1L << 6;
    static final long F_FLUSH = 1L << 9;
    static final long F_DISCARD = 1L << 13;
    static final long F_WRITE_ZEROES = 1L << 14;

    /** §5.2.6: request types. */
    static final int T_IN = 0;
    static final int T_OUT = 1;
    static final int T_FLUSH = 4;
    static final int T_GET_ID = 8;
    static final int T_DISCARD = 11;
    static final int T_WRITE_ZEROES = 13;

    /** §5.2.6: status values. */
    static final int S_OK = 0;
    static final int S_IOERR = 1;
    static final int S_UNSUPP = 2;

    /** §5.2.6: struct virtio_blk_req's header: le32 type, le32 reserved, le64 sector. */
    static final int HEADER = 16;
    /** §5.2.6: struct virtio_blk_discard_write_zeroes: le64 sector, le32 num_sectors, le32 flags. */
    static final int RANGE = 16;
    static final int WRITE_ZEROES_UNMAP = 1;
    static final int ID_BYTES = 20;

    /**
     * The limits the configuration announces (§5.2.4). SEG_MAX is the queue size less the header
     * and status descriptors, so a request still fits one (indirect) table: Linux then sends a 1 MiB
     * read of scattered 4 KiB pages as two requests, not three (each request costs a notification,
     * a device wake-up and, often, an interrupt).
     */
    static final int SEG_MAX = QUEUE_SIZE - 2;
    static final int SIZE_MAX = 1 << 20;
    static final long MAX_DATA = (long) SEG_MAX * SIZE_MAX;
    static final int MAX_DISCARD_SECTORS = 1 << 22;
    static final int MAX_DISCARD_SEG = 16;
    static final int MAX_WRITE_ZEROES_SECTORS = 1 << 16;
    static final int MAX_WRITE_ZEROES_SEG = 1;
    static final int CONFIG_SIZE = 60;

    /** Data moved per {@link #process} call before it yields the device thread. */
    static final long BYTES_PER_CALL = 8L << 20;
    static final int BOUNCE = 256 * 1024;

    /**
     * The block device's own saved state.
     *
     * @param capacity the capacity in sectors the configuration showed the driver (§5.2.4)
     * @param imageModified the image file's modification time (ns since the epoch) when the state
     *     was saved, after its data was forced to disk: the guest's page cache and file systems
     *     describe the image as it was then, so a restore into an image written to since (the VM
     *     ran on after a snapshot without --stop, or another program wrote it) would corrupt it
     */
    record BlkState(long capacity, long imageModified) {
        BlkState {
            if (capacity < 0) {
                throw new IllegalArgumentException("capacity " + capacity + " sectors");
            }
        }

        static final StateFormat<BlkState> FORMAT = StateFormat.of("virtio.blk", 1,
                (s, out) -> out.i64("capacity", s.capacity()).i64("image_modified_ns", s.imageModified()),
                in -> new BlkState(in.i64("capacity"), in.i64("image_modified_ns")));
    }

    private final BlockImage image;
    private final FileChannel file;
    private final DmaMemory memory;
    private final byte[] id = new byte[ID_BYTES];
    private final byte[] config = new byte[CONFIG_SIZE];
    private final ByteBuffer bounce = ByteBuffer.allocateDirect(BOUNCE);
    private final ByteBuffer zeros = ByteBuffer.allocateDirect(BOUNCE);
    private final ByteBuffer header = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
    private final ByteBuffer status = ByteBuffer.allocate(1);
    private final ByteBuffer idBuffer = ByteBuffer.wrap(id);
    private final long[] rangeSector = new long[MAX_DISCARD_SEG];
    private final long[] rangeCount = new long[MAX_DISCARD_SEG];
    private final LogRateLimiter errorLog = new LogRateLimiter(5);
    private final String name;
    /** Bytes of data this request wrote into the chain (before the status byte). */
    private long written;

    VirtioBlk(String name, BlockImage image, String serial, DmaMemory memory) {
        this.name = name;
        this.image = image;
        this.file = image.channel();
        this.memory = memory;
        byte[] s = serial.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(s, 0, id, 0, Math.min(s.length, ID_BYTES)); // NUL-padded unless 20 long (§5.2.6)
        ByteBuffer c = ByteBuffer.wrap(config).order(ByteOrder.LITTLE_ENDIAN);
        c.putLong(0, image.sectors());          // capacity
        c.putInt(8, SIZE_MAX);                  // size_max
        c.putInt(12, SEG_MAX);                  // seg_max
        c.putInt(20, SECTOR);                   // blk_size
        c.putShort(34, (short) 1);              // num_queues (read only with MQ, which is not offered)
        c.putInt(36, MAX_DISCARD_SECTORS);
        c.putInt(40, MAX_DISCARD_SEG);
        c.putInt(44, 1);                        // discard_sector_alignment: any sector
        c.putInt(48, MAX_WRITE_ZEROES_SECTORS);
        c.putInt(52, MAX_WRITE_ZEROES_SEG);
        config[56] = 0;                         // write_zeroes_may_unmap: zeros are always written
    }

    @Override
    public int deviceId() {
        return DEVICE_ID;
    }

    /** Mass storage, SCSI-class as other virtio-blk devices show (PCI code 0x010000). */
    @Override
    public int pciClassCode() {
        return 0x01_0000;
    }

    @Override
    public long features() {
        long f = F_SIZE_MAX | F_SEG_MAX | F_BLK_SIZE | F_FLUSH;
        return image.readOnly() ? f | F_RO : f | F_DISCARD | F_WRITE_ZEROES;
    }

    @Override
    public int queueCount() {
        return 1;
    }

    @Override
    public int maxQueueSize(int queue) {
        return QUEUE_SIZE;
    }

    @Override
    public int configSize() {
        return CONFIG_SIZE;
    }

    @Override
    public void readConfig(int offset, byte[] data) {
        for (int i = 0; i < data.length; i++) {
            int at = offset + i;
            data[i] = at >= 0 && at < CONFIG_SIZE ? config[at] : 0;
        }
    }

    @Override
    public boolean process(VirtQueue queue, long acked) throws VirtQueueException {
        long budget = BYTES_PER_CALL;
        for (int served = 0; served < queue.size(); served++) {
            if (budget <= 0) {
                return true; // stopped by the budget: chains may be left
            }
            if (!queue.next()) {
                return false;
            }
            DescriptorChain chain = queue.chain();
            budget -= Math.max(serve(chain, acked, queue), SECTOR);
        }
        return true; // a queue's worth served: there may be more
    }

    /** Serves one request and returns its chain; the data bytes it moved. */
    private long serve(DescriptorChain chain, long acked, VirtQueue queue) throws VirtQueueException {
        written = 0;
        long writable = chain.writableLength();
        if (writable == 0) {
            logError("request " + chain.head() + " has no writable status byte; returned unanswered");
            queue.complete(chain.head(), 0);
            return 0;
        }
        long moved = 0;
        int result;
        if (chain.readableLength() < HEADER) {
            result = S_IOERR;
        } else {
            header.clear();
            chain.read(memory, 0, header);
            int type = header.getInt(0);
            long sector = header.getLong(8);
            long readData = chain.readableLength() - HEADER;
            long writeData = writable - 1;
            try {
                switch (type) {
                    case T_IN -> {
                        result = read(chain, sector, writeData);
                        moved = written;
                    }
                    case T_OUT -> {
                        result = write(chain, sector, readData, acked);
                        moved = result == S_OK ? readData : 0;
                    }
                    case T_FLUSH -> {
                        if (!image.readOnly()) {
                            file.force(false);
                        }
                        result = S_OK;
                    }
                    case T_GET_ID -> {
                        idBuffer.clear().limit((int) Math.min(ID_BYTES, writeData));
                        written = chain.write(memory, 0, idBuffer);
                        result = S_OK;
                    }
                    case T_DISCARD, T_WRITE_ZEROES -> {
                        long feature = type == T_DISCARD ? F_DISCARD : F_WRITE_ZEROES;
                        if ((acked & feature) == 0 || (features() & feature) == 0) {
                            result = image.readOnly() ? S_IOERR : S_UNSUPP;
                        } else {
                            moved = ranges(chain, type, readData, acked);
                            result = moved < 0 ? (int) -moved : S_OK;
                            moved = Math.max(moved, 0);
                        }
                    }
                    default -> result = S_UNSUPP;
                }
            } catch (IOException e) {
                logError("host I/O error on " + name + ": " + e);
                result = S_IOERR;
            }
        }
        status.clear();
        status.put(0, (byte) result);
        chain.write(memory, writable - 1, status);
        queue.complete(chain.head(), (int) Math.min(written + 1, Integer.MAX_VALUE));
        return moved;
    }

    /** Whether {@code count} sectors from {@code sector} (unsigned) lie within the image. */
    private boolean inRange(long sector, long count) {
        long cap = image.sectors();
        return Long.compareUnsigned(sector, cap) <= 0 && count >= 0 && count <= cap - sector;
    }

    /** VIRTIO_BLK_T_IN: the file into the writable data bytes. */
    private int read(DescriptorChain chain, long sector, long length) throws IOException, VirtQueueException {
        if (length % SECTOR != 0 || length > MAX_DATA || !inRange(sector, length / SECTOR)) {
            return S_IOERR;
        }
        // straight from the file into the guest's buffers where guest memory gives a view (KVM's
        // does): the kernel's copy is the only one; else through the bounce buffer
        written = chain.readFrom(memory, 0, length, file, sector * SECTOR, bounce);
        return S_OK;
    }

    /** VIRTIO_BLK_T_OUT: the readable data bytes (after the header) into the file. */
    private int write(DescriptorChain chain, long sector, long length, long acked) throws IOException, VirtQueueException {
        if (image.readOnly() || length % SECTOR != 0 || length > MAX_DATA || !inRange(sector, length / SECTOR)) {
            return S_IOERR;
        }
        chain.writeTo(memory, HEADER, length, file, sector * SECTOR, bounce);
        forceUnlessFlushNegotiated(acked);
        return S_OK;
    }

    private void writeFully(ByteBuffer source, long pos) throws IOException {
        long at = pos;
        while (source.hasRemaining()) {
            at += file.write(source, at);
        }
    }

    /** §5.2.6.3: without FLUSH negotiated, a completed write must be on stable storage. */
    private void forceUnlessFlushNegotiated(long acked) throws IOException {
        if ((acked & F_FLUSH) == 0) {
            file.force(false);
        }
    }

    /**
     * VIRTIO_BLK_T_DISCARD and _WRITE_ZEROES: checks every range first (so a bad one changes
     * nothing), then writes zeros (write-zeroes) or does nothing (discard, a hint). Returns the bytes
     * written, or minus a status.
     */
    private long ranges(DescriptorChain chain, int type, long length, long acked) throws IOException, VirtQueueException {
        boolean discard = type == T_DISCARD;
        int maxSeg = discard ? MAX_DISCARD_SEG : MAX_WRITE_ZEROES_SEG;
        long maxSectors = discard ? MAX_DISCARD_SECTORS : MAX_WRITE_ZEROES_SECTORS;
        if (length == 0 || length % RANGE != 0 || length / RANGE > maxSeg) {
            return -S_IOERR;
        }
        int n = (int) (length / RANGE);
        for (int i = 0; i < n; i++) {
            header.clear();
            chain.read(memory, HEADER + (long) RANGE * i, header);
            long sector = header.getLong(0);
            long count = header.getInt(8) & 0xFFFF_FFFFL;
            int flags = header.getInt(12);
            // §5.2.6.2: unmap is meaningful for write-zeroes only; reserved flags are unsupported
            if ((flags & ~(discard ? 0 : WRITE_ZEROES_UNMAP)) != 0) {
                return -S_UNSUPP;
            }
            if (count > maxSectors || !inRange(sector, count)) {
                return -S_IOERR;
            }
            rangeSector[i] = sector;
            rangeCount[i] = count;
        }
        if (discard) {
            return 0;
        }
        long total = 0;
        for (int i = 0; i < n; i++) {
            long pos = rangeSector[i] * SECTOR;
            long bytes = rangeCount[i] * SECTOR;
            for (long done = 0; done < bytes; ) {
                int chunk = (int) Math.min(BOUNCE, bytes - done);
                zeros.clear().limit(chunk);
                writeFully(zeros, pos + done);
                done += chunk;
            }
            total += bytes;
        }
        forceUnlessFlushNegotiated(acked);
        return total;
    }

    private void logError(String message) {
        long s = errorLog.tryAcquire();
        if (s != LogRateLimiter.SUPPRESSED) {
            LOG.log(System.Logger.Level.WARNING, "{0}: {1}{2}", name, message, LogRateLimiter.suppressedNote(s));
        }
    }

    /**
     * Forces the guest's writes to stable storage first (a snapshot is fsync'd; the disk it depends
     * on must be too), then records the capacity and the image's modification time.
     */
    @Override
    public Optional<SavedStateBlob> saveState() {
        try {
            if (!image.readOnly()) {
                file.force(true);
            }
            return Optional.of(BlkState.FORMAT.save(new BlkState(image.sectors(), modified())));
        } catch (IOException e) {
            throw new UncheckedIOException("disk " + name + " (" + image.path() + "): could not force it to disk "
                    + "for the snapshot: " + e.getMessage(), e);
        }
    }

    /**
     * The driver read the capacity once and addresses sectors up to it: an image of another size is
     * not the disk the guest had; and an image written to since the snapshot no longer matches what
     * the guest has cached of it ({@link BlkState#imageModified}).
     */
    @Override
    public void restoreState(SavedStateBlob state) {
        BlkState s = BlkState.FORMAT.restore(state);
        if (s.capacity() != image.sectors()) {
            throw new IllegalArgumentException("disk " + name + " (" + image.path() + ") has " + image.sectors()
                    + " sectors (" + image.sectors() * SECTOR + " bytes), the snapshot's disk had " + s.capacity()
                    + " (" + s.capacity() * SECTOR + " bytes): restore with the image the snapshot was taken with");
        }
        long now;
        try {
            now = modified();
        } catch (IOException e) {
            throw new IllegalArgumentException("disk " + name + " (" + image.path() + "): cannot read its modification "
                    + "time: " + e.getMessage(), e);
        }
        if (now != s.imageModified()) {
            throw new IllegalArgumentException("disk " + name + " (" + image.path() + ") was modified after the "
                    + "snapshot was taken (" + Instant.EPOCH.plusNanos(now) + ", the snapshot recorded "
                    + Instant.EPOCH.plusNanos(s.imageModified()) + "): the guest's cached view of it would no longer "
                    + "match and its file systems could be corrupted; restore with the image as it was at the snapshot "
                    + "(take it with 'jvmm ctl snapshot PATH --stop', or copy the image while the VM is paused with "
                    + "'cp --preserve=timestamps')");
        }
    }

    private long modified() throws IOException {
        return Files.getLastModifiedTime(image.path()).to(TimeUnit.NANOSECONDS);
    }

    /**
     * Forces what the guest wrote to the file (a guest that never flushed still loses nothing that
     * reached us) and closes the image, which releases its lock.
     */
    @Override
    public void close() throws java.io.IOException {
        try {
            if (!image.readOnly()) {
                image.channel().force(false);
            }
        } finally {
            image.close();
        }
    }
}
