package io.jvmm.dev.virtioblk;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * A raw image file opened for a block device: read-write under an exclusive lock, or read-only
 * under a shared one, so two VMs cannot both write one image (nor one write what another reads).
 * The locks are {@code fcntl} record locks (what {@link FileChannel#tryLock} takes on Linux): they
 * bind other jvmm processes and cooperating tools, not a program that ignores them.
 *
 * @param path the file, for messages
 * @param channel the open file
 * @param sectors the capacity in 512-byte sectors (the size when opened; the image does not grow)
 * @param lock the lock held while the channel is open, or null when another disk of this VM on the
 *     same file holds it (read-only disks only)
 */
record BlockImage(Path path, FileChannel channel, long sectors, boolean readOnly, FileLock lock) implements AutoCloseable {
    static final int SECTOR = 512;

    /** Opens {@code path}; the message of the exception names the file, the problem and the fix. */
    static BlockImage open(Path path, boolean readOnly) throws ImageException {
        if (Files.isDirectory(path)) {
            throw new ImageException(path + ": is a directory; give a raw disk image file");
        }
        if (!Files.exists(path)) {
            throw new ImageException(path + ": no such file; create a raw image first (e.g. truncate -s 1G " + path
                    + ", then mkfs)");
        }
        FileChannel ch;
        try {
            ch = readOnly ? FileChannel.open(path, StandardOpenOption.READ)
                    : FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (AccessDeniedException e) {
            throw new ImageException(path + ": permission denied for " + (readOnly ? "reading" : "reading and writing")
                    + (readOnly ? "" : "; fix its permissions or attach it read-only (,ro)"));
        } catch (NoSuchFileException e) {
            throw new ImageException(path + ": no such file");
        } catch (IOException e) {
            throw new ImageException(path + ": cannot open: " + e.getMessage());
        }
        try {
            long size = ch.size();
            if (size % SECTOR != 0) {
                throw new ImageException(path + ": its size, " + size + " bytes, is not a multiple of 512; pad it "
                        + "(truncate -s %512 " + path + ")");
            }
            FileLock lock;
            try {
                lock = ch.tryLock(0, Long.MAX_VALUE, readOnly);
                if (lock == null) {
                    throw new ImageException(path + ": locked by another process" + holder(path) + ", which "
                            + (readOnly ? "writes it" : "uses it") + "; stop that process first"
                            + (readOnly ? "" : ", or attach the image read-only (,ro) in both"));
                }
            } catch (OverlappingFileLockException e) {
                if (!readOnly) {
                    throw new ImageException(path + ": is already a disk of this VM; give it once, or only read-only");
                }
                lock = null; // another read-only disk of this VM holds the shared lock
            }
            return new BlockImage(path, ch, size / SECTOR, readOnly, lock);
        } catch (ImageException e) {
            closeQuietly(ch);
            throw e;
        } catch (IOException e) {
            closeQuietly(ch);
            throw new ImageException(path + ": cannot lock or size it: " + e.getMessage());
        }
    }

    /**
     * Who holds a lock on {@code path}, from Linux's {@code /proc/locks} (" (pid N: command)"), or
     * "" when that cannot be told.
     */
    static String holder(Path path) {
        try {
            Object ino = Files.getAttribute(path, "unix:ino");
            List<String> locks = Files.readAllLines(Path.of("/proc/locks"));
            for (String line : locks) {
                // "1: POSIX  ADVISORY  WRITE 1234 08:01:5678 0 EOF"
                String[] f = line.trim().split("\\s+");
                if (f.length >= 6 && f[5].endsWith(":" + ino) && f[4].matches("\\d+") && !f[4].equals("0")) {
                    String pid = f[4];
                    String cmd = "";
                    try {
                        cmd = new String(Files.readAllBytes(Path.of("/proc", pid, "cmdline")))
                                .replaceAll("[\\x00-\\x1F\\x7F]+", " ").strip(); // NUL-separated, one line
                    } catch (IOException | RuntimeException e) {
                        // the process may be gone already; the pid alone still helps
                    }
                    if (cmd.length() > 120) {
                        cmd = cmd.substring(0, 120) + "...";
                    }
                    return " (pid " + pid + (cmd.isEmpty() ? "" : ": " + cmd) + ")";
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or /proc not mounted: say nothing more
        }
        return "";
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            // nothing more to do
        }
    }

    @Override
    public void close() throws IOException {
        channel.close(); // releases the lock
    }

    /** A user error opening an image: the message says what and how to fix it. */
    static final class ImageException extends Exception {
        private static final long serialVersionUID = 1L;

        ImageException(String message) {
            super(message);
        }
    }
}
