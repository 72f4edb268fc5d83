package io.jvmm.runtime.sandbox;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An independent newc reader for the tests (buffer-format.rst): it checks every header field is 8
 * hex digits, names are NUL-terminated, padding is to 4 bytes and the archive ends with TRAILER!!!
 * and nothing but padding after it.
 */
final class Cpio {
    record Entry(String name, int mode, long ino, int nlink, byte[] data, int rdevMajor, int rdevMinor) {
        int type() {
            return mode & 0170000;
        }

        int permissions() {
            return mode & 07777;
        }

        String text() {
            return new String(data, StandardCharsets.UTF_8);
        }
    }

    private Cpio() {}

    /** The entries in archive order (by name; the trailer left out). */
    static Map<String, Entry> read(byte[] archive) {
        Map<String, Entry> entries = new LinkedHashMap<>();
        int at = 0;
        while (true) {
            if (at + 110 > archive.length) {
                throw new AssertionError("truncated header at " + at);
            }
            String header = new String(archive, at, 110, StandardCharsets.US_ASCII);
            if (!header.startsWith("070701")) {
                throw new AssertionError("bad magic at " + at + ": " + header.substring(0, 6));
            }
            long[] f = new long[13];
            for (int i = 0; i < 13; i++) {
                String field = header.substring(6 + 8 * i, 14 + 8 * i);
                if (!field.matches("[0-9a-fA-F]{8}")) {
                    throw new AssertionError("field " + i + " at " + at + " is not hex: " + field);
                }
                f[i] = Long.parseLong(field, 16);
            }
            int nameSize = (int) f[11];
            int fileSize = (int) f[6];
            at += 110;
            if (nameSize < 1 || archive[at + nameSize - 1] != 0) {
                throw new AssertionError("name at " + at + " is not NUL-terminated");
            }
            String name = new String(archive, at, nameSize - 1, StandardCharsets.UTF_8);
            at = align(at + nameSize);
            byte[] data = Arrays.copyOfRange(archive, at, at + fileSize);
            at = align(at + fileSize);
            if (name.equals("TRAILER!!!")) {
                for (int i = at; i < archive.length; i++) {
                    if (archive[i] != 0) {
                        throw new AssertionError("data after the trailer at " + i);
                    }
                }
                if (at != archive.length) {
                    throw new AssertionError("the archive ends at " + archive.length + ", the trailer at " + at);
                }
                return entries;
            }
            if (entries.put(name, new Entry(name, (int) f[1], f[0], (int) f[4], data, (int) f[9], (int) f[10])) != null) {
                throw new AssertionError("duplicate entry " + name);
            }
        }
    }

    static List<String> names(Map<String, Entry> entries) {
        return new ArrayList<>(entries.keySet());
    }

    private static int align(int n) {
        return (n + 3) & ~3;
    }
}
