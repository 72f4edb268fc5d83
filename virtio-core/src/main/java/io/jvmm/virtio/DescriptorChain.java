package io.jvmm.virtio;

import io.jvmm.api.device.DmaMemory;
import io.jvmm.api.device.GuestMemoryException;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * One descriptor chain popped from a {@link VirtQueue}, flattened (indirect tables resolved) into
 * its buffers: first the device-readable ones, then the device-writable ones (virtio 1.2 §2.7.4.2).
 * Every buffer was checked to lie in RAM when the chain was read. Reused for every chain of its
 * queue, so reading a chain allocates nothing; valid until the next {@link VirtQueue#next}.
 */
public final class DescriptorChain {
    private final long[] addr;
    private final int[] len;
    /** Scratch of {@link #transfer}: the merged guest ranges of one request and their views. */
    private final long[] segAddr;
    private final int[] segLen;
    private final ByteBuffer[] views;
    private int count;
    private int firstWritable;
    private int head;
    private long readable;
    private long writable;

    DescriptorChain(int capacity) {
        addr = new long[capacity];
        len = new int[capacity];
        segAddr = new long[capacity];
        segLen = new int[capacity];
        views = new ByteBuffer[capacity];
    }

    void clear(int head) {
        this.head = head;
        count = 0;
        firstWritable = -1;
        readable = 0;
        writable = 0;
    }

    /** Adds a buffer; false when the chain already has {@code capacity} buffers. */
    boolean add(long address, int length, boolean deviceWritable) {
        if (count == addr.length) {
            return false;
        }
        if (deviceWritable) {
            if (firstWritable < 0) {
                firstWritable = count;
            }
            writable += length & 0xFFFF_FFFFL;
        } else {
            readable += length & 0xFFFF_FFFFL;
        }
        addr[count] = address;
        len[count] = length;
        count++;
        return true;
    }

    boolean hasWritable() {
        return firstWritable >= 0;
    }

    /** The head descriptor's index: what {@link VirtQueue#complete} reports to the driver. */
    public int head() {
        return head;
    }

    /** Number of buffers. */
    public int count() {
        return count;
    }

    /** Total bytes of the device-readable buffers. */
    public long readableLength() {
        return readable;
    }

    /** Total bytes of the device-writable buffers. */
    public long writableLength() {
        return writable;
    }

    /** The guest-physical address of buffer {@code i} (0 .. {@link #count()} - 1). */
    public long address(int i) {
        return addr[java.util.Objects.checkIndex(i, count)];
    }

    /** The length in bytes of buffer {@code i}, unsigned. */
    public long length(int i) {
        return len[java.util.Objects.checkIndex(i, count)] & 0xFFFF_FFFFL;
    }

    /** The number of device-readable buffers: they come first, buffers 0 .. this - 1. */
    public int readableCount() {
        return firstWritable < 0 ? count : firstWritable;
    }

    /**
     * The guest-physical address of byte {@code at} of the device-writable buffers, or -1 when they
     * are shorter. For a device that fills a field of this chain after it has popped others (a
     * network card's {@code num_buffers}, which it knows only once a frame is placed).
     */
    public long writableAddress(long at) {
        if (firstWritable < 0 || at < 0) {
            return -1;
        }
        long skip = at;
        for (int i = firstWritable; i < count; i++) {
            long l = len[i] & 0xFFFF_FFFFL;
            if (skip < l) {
                return addr[i] + skip;
            }
            skip -= l;
        }
        return -1;
    }

    /**
     * Copies {@code length} bytes into the device-writable buffers, starting {@code at} bytes into
     * them; returns how many fit.
     */
    public int write(DmaMemory memory, long at, byte[] source, int offset, int length) throws VirtQueueException {
        if (firstWritable < 0) {
            return 0;
        }
        return copy(memory, firstWritable, count, at, source, offset, length, true);
    }

    /** Copies up to {@code length} bytes out of the device-readable buffers, from {@code at} bytes in. */
    public int read(DmaMemory memory, long at, byte[] target, int offset, int length) throws VirtQueueException {
        return copy(memory, 0, firstWritable < 0 ? count : firstWritable, at, target, offset, length, false);
    }

    /**
     * Copies {@code source}'s remaining bytes into the device-writable buffers, starting {@code at}
     * bytes into them, as far as they fit; advances {@code source}'s position by what was copied and
     * returns it. With a direct buffer this is one copy between it and guest RAM (block devices read
     * a file into such a buffer).
     */
    public int write(DmaMemory memory, long at, ByteBuffer source) throws VirtQueueException {
        if (firstWritable < 0) {
            return 0;
        }
        return copy(memory, firstWritable, count, at, source, true);
    }

    /**
     * Fills {@code target}'s remaining bytes from the device-readable buffers, from {@code at} bytes
     * in, as far as they reach; advances its position by what was copied and returns it.
     */
    public int read(DmaMemory memory, long at, ByteBuffer target) throws VirtQueueException {
        return copy(memory, 0, firstWritable < 0 ? count : firstWritable, at, target, false);
    }

    /**
     * Reads {@code length} bytes of {@code channel} from {@code position} into the device-writable
     * buffers, starting {@code at} bytes into them: each guest buffer that
     * {@link DmaMemory#view} can expose is filled by the channel directly (no copy in Java), the
     * others through {@code bounce} (a direct buffer). Stops early if the buffers end first. When
     * every buffer has a view the whole request is one scattering read (readv), which moves the
     * channel's position: the channel must be the caller's alone.
     *
     * @return the bytes transferred
     * @throws java.io.EOFException if the channel ends first
     */
    public long readFrom(DmaMemory memory, long at, long length, FileChannel channel, long position,
            ByteBuffer bounce) throws VirtQueueException, IOException {
        return firstWritable < 0 ? 0 : transfer(memory, firstWritable, count, at, length, channel, position, bounce, true);
    }

    /**
     * Writes {@code length} bytes of the device-readable buffers, from {@code at} bytes into them,
     * to {@code channel} at {@code position}: without a copy in Java where {@link DmaMemory#view}
     * allows, else through {@code bounce}. Stops early if the buffers end first. With views of
     * every buffer this is one gathering write (writev), which moves the channel's position.
     *
     * @return the bytes transferred
     */
    public long writeTo(DmaMemory memory, long at, long length, FileChannel channel, long position,
            ByteBuffer bounce) throws VirtQueueException, IOException {
        return transfer(memory, 0, firstWritable < 0 ? count : firstWritable, at, length, channel, position, bounce,
                false);
    }

    private long transfer(DmaMemory memory, int from, int to, long at, long length, FileChannel channel,
            long position, ByteBuffer bounce, boolean intoGuest) throws VirtQueueException, IOException {
        // The guest ranges to move, in order, adjacent ones merged: Linux hands a 1 MiB request
        // over as up to 126 page-sized buffers that are often contiguous in guest RAM.
        int k = 0;
        long done = 0;
        long skip = at;
        for (int i = from; i < to && done < length; i++) {
            long l = len[i] & 0xFFFF_FFFFL;
            if (skip >= l) {
                skip -= l;
                continue;
            }
            int n = (int) Math.min(l - skip, length - done);
            long gpa = addr[i] + skip;
            if (k > 0 && segAddr[k - 1] + segLen[k - 1] == gpa && (long) segLen[k - 1] + n <= Integer.MAX_VALUE) {
                segLen[k - 1] += n;
            } else {
                segAddr[k] = gpa;
                segLen[k] = n;
                k++;
            }
            done += n;
            skip = 0;
        }
        try {
            boolean viewed = true;
            for (int j = 0; j < k && viewed; j++) {
                views[j] = memory.view(segAddr[j], segLen[j]);
                viewed = views[j] != null;
            }
            if (viewed) {
                // one readv/writev for the whole request (one system call where the segments were
                // one each; the kernel's copy is the only one)
                vectored(channel, k, position, intoGuest);
            } else {
                long offset = position;
                for (int j = 0; j < k; j++) {
                    bounced(memory, segAddr[j], segLen[j], channel, offset, bounce, intoGuest);
                    offset += segLen[j];
                }
            }
        } catch (GuestMemoryException e) {
            throw new VirtQueueException("chain " + head + ": " + e.getMessage());
        } finally {
            java.util.Arrays.fill(views, 0, k, null); // hold no view of guest RAM beyond the request
        }
        return done;
    }

    /** The views {@code views[0..k)} from/to the channel at {@code position}, scattered/gathered. */
    private void vectored(FileChannel channel, int k, long position, boolean read) throws IOException {
        // FileChannel has no positional readv: the channel's position is this device's alone
        channel.position(position);
        int first = 0;
        while (first < k) {
            long n = read ? channel.read(views, first, k - first) : channel.write(views, first, k - first);
            if (n < 0) {
                throw new EOFException("the file ended at " + channel.position());
            }
            while (first < k && !views[first].hasRemaining()) {
                first++;
            }
        }
    }

    private static void bounced(DmaMemory memory, long gpa, int n, FileChannel channel, long position,
            ByteBuffer bounce, boolean intoGuest) throws IOException, GuestMemoryException {
        for (int part = 0; part < n; ) {
            int m = Math.min(bounce.capacity(), n - part);
            bounce.clear().limit(m);
            if (intoGuest) {
                fully(channel, bounce, position + part, true);
                bounce.flip();
                memory.write(gpa + part, bounce);
            } else {
                memory.read(gpa + part, bounce);
                bounce.flip();
                fully(channel, bounce, position + part, false);
            }
            part += m;
        }
    }

    private static void fully(FileChannel channel, ByteBuffer buffer, long position, boolean read) throws IOException {
        int start = buffer.position();
        while (buffer.hasRemaining()) {
            long at = position + buffer.position() - start;
            if (read) {
                if (channel.read(buffer, at) < 0) {
                    throw new EOFException("the file ended at " + at);
                }
            } else {
                channel.write(buffer, at);
            }
        }
    }

    private int copy(DmaMemory memory, int from, int to, long at, ByteBuffer buffer, boolean write)
            throws VirtQueueException {
        int length = buffer.remaining();
        int limit = buffer.limit();
        int done = 0;
        long skip = at;
        try {
            for (int i = from; i < to && done < length; i++) {
                long l = len[i] & 0xFFFF_FFFFL;
                if (skip >= l) {
                    skip -= l;
                    continue;
                }
                int n = (int) Math.min(l - skip, length - done);
                buffer.limit(buffer.position() + n);
                try {
                    if (write) {
                        memory.write(addr[i] + skip, buffer);
                    } else {
                        memory.read(addr[i] + skip, buffer);
                    }
                } catch (GuestMemoryException e) {
                    throw new VirtQueueException("buffer " + i + " of chain " + head + ": " + e.getMessage());
                }
                done += n;
                skip = 0;
            }
        } finally {
            buffer.limit(limit);
        }
        return done;
    }

    private int copy(DmaMemory memory, int from, int to, long at, byte[] bytes, int offset, int length, boolean write)
            throws VirtQueueException {
        int done = 0;
        long skip = at;
        for (int i = from; i < to && done < length; i++) {
            long l = len[i] & 0xFFFF_FFFFL;
            if (skip >= l) {
                skip -= l;
                continue;
            }
            int n = (int) Math.min(l - skip, length - done);
            try {
                if (write) {
                    memory.write(addr[i] + skip, bytes, offset + done, n);
                } else {
                    memory.read(addr[i] + skip, bytes, offset + done, n);
                }
            } catch (GuestMemoryException e) {
                throw new VirtQueueException("buffer " + i + " of chain " + head + ": " + e.getMessage());
            }
            done += n;
            skip = 0;
        }
        return done;
    }
}
