package io.jvmm.runtime.sandbox;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;

/**
 * A Linux initramfs: an uncompressed cpio archive in the "newc" format the kernel unpacks
 * (Documentation/driver-api/early-userspace/buffer-format.rst): per entry a 110-byte ASCII header of
 * thirteen 8-digit hex fields, the NUL-terminated name padded to 4 bytes, the data padded to 4 bytes;
 * the archive ends with the entry {@code TRAILER!!!}.
 *
 * <p>Entries are checked as they are added, so a mistake is an exception here rather than a file
 * missing in the guest: names are relative ({@code bin/busybox}, no leading {@code /}, no
 * {@code .}/{@code ..} or empty components, at most {@value #MAX_NAME_BYTES} bytes), each name
 * appears once, every parent directory was added before its entries (the kernel creates files with
 * plain {@code open(O_CREAT)}, which fails in a missing directory), permissions fit in 07777 and
 * every size in newc's 32-bit fields.
 *
 * <p>Not thread-safe; one archive per instance.
 */
public final class Initramfs {
    /** PATH_MAX including the NUL, the longest name the kernel's unpacker accepts. */
    public static final int MAX_NAME_BYTES = 4096;
    /** newc's fields are 8 hex digits. */
    private static final long MAX_FIELD = 0xFFFF_FFFFL;

    private static final int DIRECTORY = 0040000;
    private static final int REGULAR = 0100000;
    private static final int SYMLINK = 0120000;
    private static final int CHARACTER_DEVICE = 0020000;

    private final OutputStream out;
    private final ByteArrayOutputStream buffer;
    private final Set<String> names = new HashSet<>();
    private final Set<String> directories = new HashSet<>();
    private long written;
    private long inode = 1;
    private boolean finished;

    /** An archive written to {@code out} as entries are added; {@link #finish()} writes the trailer. */
    public Initramfs(OutputStream out) {
        if (out == null) {
            throw new IllegalArgumentException("no output stream");
        }
        this.out = out;
        this.buffer = null;
    }

    /** An archive kept in memory, for {@link #toBytes()}. */
    public Initramfs() {
        this.buffer = new ByteArrayOutputStream();
        this.out = buffer;
    }

    /** A directory with mode 0755. */
    public Initramfs directory(String path) throws IOException {
        entry(path, DIRECTORY | 0755, new byte[0], 0, 0);
        directories.add(path);
        return this;
    }

    /** A regular file with {@code permissions} (e.g. 0755) holding {@code data}. */
    public Initramfs file(String path, int permissions, byte[] data) throws IOException {
        return entry(path, REGULAR | permissions(permissions), data, 0, 0);
    }

    /** A symbolic link {@code path} → {@code target} (the link's data is the target, without a NUL). */
    public Initramfs symlink(String path, String target) throws IOException {
        if (target == null || target.isEmpty() || target.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("symlink " + path + ": the target must be non-empty without NUL: "
                    + target);
        }
        byte[] bytes = target.getBytes(StandardCharsets.UTF_8);
        if (bytes.length >= MAX_NAME_BYTES) {
            throw new IllegalArgumentException("symlink " + path + ": the target is longer than "
                    + (MAX_NAME_BYTES - 1) + " bytes");
        }
        return entry(path, SYMLINK | 0777, bytes, 0, 0);
    }

    /**
     * A character device node with mode 0600, e.g. {@code dev/console} (5, 1), which the kernel opens
     * as init's stdio before init runs. Linux device numbers: a 12-bit major, a 20-bit minor.
     */
    public Initramfs characterDevice(String path, int major, int minor) throws IOException {
        if (major < 0 || major >= 1 << 12 || minor < 0 || minor >= 1 << 20) {
            throw new IllegalArgumentException("device " + path + ": " + major + ":" + minor
                    + " is not a Linux device number (major < 4096, minor < 1048576)");
        }
        return entry(path, CHARACTER_DEVICE | 0600, new byte[0], major, minor);
    }

    /** Writes the trailer; nothing can be added after it. */
    public void finish() throws IOException {
        checkOpen();
        writeEntry("TRAILER!!!", 0, new byte[0], 0, 0, 0);
        finished = true;
        out.flush();
    }

    /** The finished archive of an in-memory instance (finishing it if needed). */
    public byte[] toBytes() throws IOException {
        if (buffer == null) {
            throw new IllegalStateException("this archive streams to an output stream; it has no bytes to return");
        }
        if (!finished) {
            finish();
        }
        return buffer.toByteArray();
    }

    /** How many bytes of archive have been written so far. */
    public long size() {
        return written;
    }

    private Initramfs entry(String path, int mode, byte[] data, int rdevMajor, int rdevMinor) throws IOException {
        checkOpen();
        checkName(path);
        if (!names.add(path)) {
            throw new IllegalArgumentException("initramfs entry " + path + " was already added");
        }
        int slash = path.lastIndexOf('/');
        if (slash > 0 && !directories.contains(path.substring(0, slash))) {
            throw new IllegalArgumentException("initramfs entry " + path + ": add its directory "
                    + path.substring(0, slash) + " first");
        }
        if (inode > MAX_FIELD) {
            throw new IllegalStateException("more initramfs entries than newc's 32-bit inode numbers");
        }
        writeEntry(path, mode, data, rdevMajor, rdevMinor, inode++);
        return this;
    }

    private void writeEntry(String path, int mode, byte[] data, int rdevMajor, int rdevMinor, long ino)
            throws IOException {
        byte[] name = (path + "\0").getBytes(StandardCharsets.UTF_8);
        // c_magic, c_ino, c_mode, c_uid, c_gid, c_nlink, c_mtime, c_filesize, c_devmajor, c_devminor,
        // c_rdevmajor, c_rdevminor, c_namesize, c_check (0: "newc" without CRC). mtime 0 keeps the
        // archive byte-identical for identical inputs.
        String header = "070701" + hex(ino) + hex(mode) + hex(0) + hex(0) + hex((mode & DIRECTORY) != 0 ? 2 : 1)
                + hex(0) + hex(data.length) + hex(0) + hex(0) + hex(rdevMajor) + hex(rdevMinor) + hex(name.length)
                + hex(0);
        write(header.getBytes(StandardCharsets.US_ASCII));
        write(name);
        pad();
        write(data);
        pad();
    }

    private void checkOpen() {
        if (finished) {
            throw new IllegalStateException("the initramfs is finished (its trailer is written)");
        }
    }

    private static void checkName(String path) {
        if (path == null || path.isEmpty()) {
            throw new IllegalArgumentException("an initramfs entry needs a name");
        }
        if (path.startsWith("/") || path.endsWith("/")) {
            throw new IllegalArgumentException("initramfs entry " + path
                    + ": names are relative to the root, without a leading or trailing '/' (e.g. bin/busybox)");
        }
        if (path.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("initramfs entry name contains NUL: " + path.replace('\0', '?'));
        }
        if (path.equals("TRAILER!!!")) {
            throw new IllegalArgumentException("TRAILER!!! is the end-of-archive marker, not an entry name");
        }
        for (String component : path.split("/", -1)) {
            if (component.isEmpty() || component.equals(".") || component.equals("..")) {
                throw new IllegalArgumentException("initramfs entry " + path
                        + ": empty, '.' or '..' path components are not allowed");
            }
        }
        if (path.getBytes(StandardCharsets.UTF_8).length + 1 > MAX_NAME_BYTES) {
            throw new IllegalArgumentException("initramfs entry name longer than " + (MAX_NAME_BYTES - 1)
                    + " bytes: " + path.substring(0, 64) + "...");
        }
    }

    private static int permissions(int permissions) {
        if ((permissions & ~07777) != 0) {
            throw new IllegalArgumentException("permissions " + Integer.toOctalString(permissions)
                    + " are not within 07777");
        }
        return permissions;
    }

    private void write(byte[] bytes) throws IOException {
        out.write(bytes);
        written += bytes.length;
    }

    private void pad() throws IOException {
        while (written % 4 != 0) {
            out.write(0);
            written++;
        }
    }

    private static String hex(long value) {
        if (value < 0 || value > MAX_FIELD) {
            throw new IllegalArgumentException(value + " does not fit in a newc header field (32 bits)");
        }
        return String.format("%08x", value);
    }
}
