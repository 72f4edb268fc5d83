package io.jvmm.runtime.loader;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A payload's bytes and the name to use for it in messages (usually its path).
 *
 * @param name what the user called it, e.g. {@code /srv/vmlinuz} or {@code kernel}
 * @param bytes the contents, not copied
 */
public record ImageFile(String name, byte[] bytes) {
    /** Java arrays stop a little below 2 GiB. */
    private static final long MAX_READABLE = Integer.MAX_VALUE - 8;

    public ImageFile {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(bytes, "bytes");
    }

    /**
     * How to name this file in a message: just {@code role} when the bytes came without a file name
     * (the name is the role itself), else {@code role 'name'}.
     */
    public String describe(String role) {
        return name.equals(role) ? role : role + " '" + name + "'";
    }

    /**
     * Reads a whole file with errors a user can act on.
     *
     * @param role what the file is for, e.g. {@code kernel}, {@code initrd}, {@code firmware}
     * @param maxBytes the largest acceptable size (checked before reading, so a wrong path to a huge
     *     file fails fast)
     */
    public static ImageFile read(Path path, String role, long maxBytes) throws PayloadException {
        Objects.requireNonNull(path, "path");
        String what = role + " file '" + path + "'";
        if (!Files.exists(path)) {
            throw new PayloadException(what + (Files.isSymbolicLink(path)
                    ? " is a symbolic link to a file that does not exist"
                    : " does not exist"));
        }
        if (Files.isDirectory(path)) {
            throw new PayloadException(what + " is a directory, not a file");
        }
        if (!Files.isRegularFile(path)) {
            // devices and pipes have no size to check and may never end
            throw new PayloadException(what + " is not a regular file");
        }
        long limit = Math.min(maxBytes, MAX_READABLE);
        try {
            long size = Files.size(path);
            if (size > limit) {
                throw new PayloadException(what + " is " + size + " bytes; at most " + limit + " bytes are allowed");
            }
            byte[] bytes = Files.readAllBytes(path);
            if (bytes.length > limit) {
                // the file grew (or was a device) between size() and the read
                throw new PayloadException(what + " is " + bytes.length + " bytes; at most " + limit + " bytes are allowed");
            }
            return new ImageFile(path.toString(), bytes);
        } catch (AccessDeniedException e) {
            throw new PayloadException("cannot read " + what + ": permission denied", e);
        } catch (NoSuchFileException e) {
            throw new PayloadException(what + " does not exist", e);
        } catch (IOException e) {
            throw new PayloadException("cannot read " + what + ": " + e.getMessage(), e);
        }
    }

    /** {@link #read(Path, String, long)} without a size limit of its own. */
    public static ImageFile read(Path path, String role) throws PayloadException {
        return read(path, role, Long.MAX_VALUE);
    }
}
