package io.jvmm.runtime.vm;

import io.jvmm.api.hv.GuestMemory;
import io.jvmm.runtime.loader.X86Layout;

/**
 * Guest RAM of a given size with no storage, laid out like a partition's ({@link X86Layout}: low
 * RAM below 3 GiB, the rest from 4 GiB): the loaders run against it to check a payload, and that it
 * fits, before (or without) a hypervisor. Writes inside RAM are dropped, writes outside fail as on a
 * real partition, reads return zeros (the loaders check everything before they write anything).
 */
final class CheckingGuestMemory implements GuestMemory {
    private final long size;

    CheckingGuestMemory(long size) {
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
    }

    @Override
    public void read(long gpa, byte[] target, int offset, int length) {
        check(gpa, length);
        java.util.Arrays.fill(target, offset, offset + length, (byte) 0);
    }

    @Override
    public void clear() {
        // nothing is stored
    }

    private void check(long gpa, int length) {
        if (!isRam(gpa, length)) {
            throw new IllegalArgumentException(String.format(
                    "[0x%x, 0x%x) is not guest RAM (the VM has %d MiB)", gpa, gpa + length, size >> 20));
        }
    }
}
