package io.jvmm.runtime.loader;

import io.jvmm.api.hv.GuestMemory;
import java.util.HashMap;
import java.util.Map;

/**
 * Guest RAM for tests, laid out like {@link X86Layout} (low RAM below 3 GiB, the rest from 4 GiB) but
 * backed by 4 KiB pages created on first non-zero write, so a "4 GiB" VM costs only what a test
 * touches. Counts writes so tests can check that a rejected payload wrote nothing.
 */
final class SparseGuestMemory implements GuestMemory {
    private static final int PAGE = 4096;
    private final long size;
    private final Map<Long, byte[]> pages = new HashMap<>();
    private int writes;

    SparseGuestMemory(long size) {
        this.size = size;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public boolean isRam(long gpa, long length) {
        return X86Layout.isRam(size, gpa, length);
    }

    @Override
    public void write(long gpa, byte[] source, int offset, int length) {
        check(gpa, length);
        writes++;
        int done = 0;
        while (done < length) {
            long addr = gpa + done;
            int inPage = (int) (addr % PAGE);
            int chunk = Math.min(length - done, PAGE - inPage);
            byte[] page = pages.get(addr / PAGE);
            if (page == null && !allZero(source, offset + done, chunk)) {
                page = new byte[PAGE];
                pages.put(addr / PAGE, page);
            }
            if (page != null) {
                System.arraycopy(source, offset + done, page, inPage, chunk);
            }
            done += chunk;
        }
    }

    @Override
    public void read(long gpa, byte[] target, int offset, int length) {
        check(gpa, length);
        int done = 0;
        while (done < length) {
            long addr = gpa + done;
            int inPage = (int) (addr % PAGE);
            int chunk = Math.min(length - done, PAGE - inPage);
            byte[] page = pages.get(addr / PAGE);
            if (page == null) {
                java.util.Arrays.fill(target, offset + done, offset + done + chunk, (byte) 0);
            } else {
                System.arraycopy(page, inPage, target, offset + done, chunk);
            }
            done += chunk;
        }
    }

    @Override
    public void clear() {
        pages.clear();
    }

    /** How many write calls reached this memory. */
    int writes() {
        return writes;
    }

    /** Pages holding non-zero bytes (a bound on what the test costs). */
    int residentPages() {
        return pages.size();
    }

    long readLong(long gpa) {
        return java.nio.ByteBuffer.wrap(read(gpa, 8)).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
    }

    int readInt(long gpa) {
        return java.nio.ByteBuffer.wrap(read(gpa, 4)).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt();
    }

    int readShort(long gpa) {
        return java.nio.ByteBuffer.wrap(read(gpa, 2)).order(java.nio.ByteOrder.LITTLE_ENDIAN).getShort() & 0xffff;
    }

    int readByte(long gpa) {
        return read(gpa, 1)[0] & 0xff;
    }

    private void check(long gpa, int length) {
        if (!isRam(gpa, length)) {
            throw new IllegalArgumentException(String.format("[0x%x, 0x%x) is not RAM", gpa, gpa + length));
        }
    }

    private static boolean allZero(byte[] b, int from, int len) {
        for (int i = from; i < from + len; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }
}
