package io.jvmm.hv.kvm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.hv.HypervisorException;
import org.junit.jupiter.api.Test;

/** Guest memory layout and access, on plain host memory (no KVM needed: pages are only reserved). */
class KvmGuestMemoryTest {
    private static final long GIB = 1L << 30;

    @Test
    void smallMemoryIsOneLowRegion() throws HypervisorException {
        KvmGuestMemory m = KvmGuestMemory.allocate(64 << 20);
        try {
            assertEquals(1, m.regions().size());
            assertTrue(m.isRam(0, 64 << 20));
            assertFalse(m.isRam((64 << 20) - 1, 2));
        } finally {
            m.release();
        }
    }

    @Test
    void memoryAbove3GiBMovesPastTheMmioHole() throws HypervisorException {
        KvmGuestMemory m = KvmGuestMemory.allocate(5 * GIB);
        try {
            assertEquals(2, m.regions().size());
            assertEquals(5 * GIB, m.size());
            assertTrue(m.isRam(3 * GIB - 8, 8));
            assertFalse(m.isRam(3 * GIB, 1), "the 32-bit MMIO hole is not RAM");
            assertFalse(m.isRam(4 * GIB - 1, 1));
            assertTrue(m.isRam(4 * GIB, 2 * GIB), "2 GiB above 4 GiB");
            assertFalse(m.isRam(6 * GIB, 1));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> m.write(0xd000_0000L, new byte[1]));
            assertTrue(e.getMessage().contains("0xd0000000"), e.getMessage());
        } finally {
            m.release();
        }
    }

    @Test
    void accessesCrossChunkBoundaries() throws HypervisorException {
        KvmGuestMemory m = KvmGuestMemory.allocate(5 * GIB);
        try {
            byte[] data = {1, 2, 3, 4, 5, 6, 7, 8};
            m.write(GIB - 4, data); // spans chunk 0 and 1 of the low region
            assertArrayEquals(data, m.read(GIB - 4, 8));
            m.write(5 * GIB - 4, data); // spans the high region's two chunks
            assertArrayEquals(data, m.read(5 * GIB - 4, 8));
            m.clear();
            assertArrayEquals(new byte[8], m.read(GIB - 4, 8), "clear zeroes RAM");
        } finally {
            m.release();
        }
    }

    @Test
    void hiddenRangesAreNotRam() throws HypervisorException {
        KvmGuestMemory m = KvmGuestMemory.allocate(2 << 20);
        try {
            m.hide(0xe0000, 0x100000);
            assertFalse(m.isRam(0xfffff, 1));
            assertFalse(m.isRam(0xdfff0, 0x20));
            assertTrue(m.isRam(0x100000, 1));
            assertTrue(m.isRam(0, 0xe0000));
            assertThrows(IllegalArgumentException.class, () -> m.read(0xf0000, 4));
        } finally {
            m.release();
        }
    }

    @Test
    void sizeMustBePageMultiple() {
        HypervisorException e = assertThrows(HypervisorException.class, () -> KvmGuestMemory.allocate(4097));
        assertTrue(e.getMessage().contains("4 KiB"), e.getMessage());
    }

    @Test
    void releasedMemoryRefusesAccess() throws HypervisorException {
        KvmGuestMemory m = KvmGuestMemory.allocate(1 << 20);
        m.release();
        assertThrows(IllegalStateException.class, () -> m.read(0, 1));
    }
}
