package io.jvmm.cli;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A Linux initramfs written in memory: an uncompressed cpio archive in the "newc" format the kernel
 * unpacks (Documentation/driver-api/early-userspace/buffer-format.rst): per entry a 110-byte ASCII
 * header of 8-digit hex fields, the NUL-terminated name padded to 4 bytes, the data padded to 4
 * bytes; the archive ends with the entry "TRAILER!!!".
 */
final class Initramfs {
    private static final int DIRECTORY = 0040000;
    private static final int REGULAR = 0100000;
    private static final int CHARACTER_DEVICE = 0020000;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private int inode = 1;

    Initramfs directory(String path) {
        return entry(path, DIRECTORY | 0755, new byte[0], 0, 0);
    }

    Initramfs file(String path, int permissions, byte[] data) {
        return entry(path, REGULAR | permissions, data, 0, 0);
    }

    /** A character device node, e.g. {@code dev/console} (5, 1), which init's stdio is opened on. */
    Initramfs characterDevice(String path, int major, int minor) {
        return entry(path, CHARACTER_DEVICE | 0600, new byte[0], major, minor);
    }

    /** The archive, with its trailer. */
    byte[] toBytes() {
        entry("TRAILER!!!", 0, new byte[0], 0, 0);
        return out.toByteArray();
    }

    private Initramfs entry(String path, int mode, byte[] data, int rdevMajor, int rdevMinor) {
        byte[] name = (path + "\0").getBytes(StandardCharsets.US_ASCII);
        // magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor,
        // rdevminor, namesize, check
        String header = "070701" + hex(inode++) + hex(mode) + hex(0) + hex(0) + hex(1) + hex(0) + hex(data.length)
                + hex(0) + hex(0) + hex(rdevMajor) + hex(rdevMinor) + hex(name.length) + hex(0);
        out.writeBytes(header.getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(name);
        pad();
        out.writeBytes(data);
        pad();
        return this;
    }

    private void pad() {
        while (out.size() % 4 != 0) {
            out.write(0);
        }
    }

    private static String hex(int value) {
        return String.format("%08x", value);
    }
}
