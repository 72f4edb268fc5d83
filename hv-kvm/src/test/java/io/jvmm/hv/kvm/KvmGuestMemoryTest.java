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

    @Test
    void dmaChecksEveryRangeBeforeTouchingIt() throws Exception {
        KvmGuestMemory m = KvmGuestMemory.allocate(5 * GIB);
        try {
            io.jvmm.api.device.DmaMemory d = m.dma();
            d.write64(GIB - 4, 0x0807_0605_0403_0201L); // a field straddling two 1 GiB chunks
            assertEquals(0x0807_0605_0403_0201L, d.read64(GIB - 4));
            assertEquals(0x0605_0403L, d.read32(GIB - 2));
            d.write16(0x1000, 0xBEEF);
            assertEquals(0xBEEF, d.read16(0x1000));
            d.write32(0x2000, 0xFFFF_FFFFL);
            assertEquals(0xFFFF_FFFFL, d.read32(0x2000));
            java.nio.ByteBuffer direct = java.nio.ByteBuffer.allocateDirect(8);
            d.read(GIB - 4, direct);
            assertEquals(8, direct.position());
            direct.flip();
            d.write(5 * GIB - 8, direct);
            assertEquals(0x0807_0605_0403_0201L, d.read64(5 * GIB - 8));
            d.zero(5 * GIB - 8, 8);
            assertEquals(0, d.read64(5 * GIB - 8));
            Class<io.jvmm.api.device.GuestMemoryException> fail = io.jvmm.api.device.GuestMemoryException.class;
            assertThrows(fail, () -> d.read32(3 * GIB - 2), "straddles the start of the PCI hole");
            assertThrows(fail, () -> d.read16(0xFEBF_0000L), "inside the PCI hole");
            assertThrows(fail, () -> d.read64(6 * GIB - 4), "straddles the end of RAM (2 GiB above 4 GiB)");
            assertEquals(0, d.read32(6 * GIB - 4));
            assertThrows(fail, () -> d.write(-8, new byte[16], 0, 16), "wraps around 2^64");
            assertThrows(fail, () -> d.read64(-4));
            assertThrows(fail, () -> d.zero(0, -1));
            assertThrows(fail, () -> d.zero(16, Long.MAX_VALUE));
            assertFalse(d.isRam(Long.MAX_VALUE, 2));
            m.hide(0xF0000, 0x100000);
            assertThrows(fail, () -> d.read32(0xF0000), "a ROM overlay is not RAM");
        } finally {
            m.release();
        }
        assertThrows(io.jvmm.api.device.GuestMemoryException.class, () -> m.dma().read32(0),
                "released memory fails instead of touching freed pages");
    }

    @Test
    void aDmaViewIsGuestRamItselfAndOnlyWithinOneMapping() throws Exception {
        KvmGuestMemory m = KvmGuestMemory.allocate(5 * GIB);
        try {
            io.jvmm.api.device.DmaMemory d = m.dma();
            java.nio.ByteBuffer view = d.view(0x3000, 16);
            assertEquals(0, view.position());
            assertEquals(16, view.limit());
            view.putLong(8, 0x1122_3344_5566_7788L); // little-endian, like the guest
            assertEquals(0x1122_3344_5566_7788L, d.read64(0x3008), "writes through the view are guest RAM");
            d.write32(0x3000, 0xCAFE_F00DL);
            assertEquals(0xCAFE_F00D, view.getInt(0), "and guest RAM shows through it");
            assertEquals(null, d.view(GIB - 8, 16), "across a chunk seam: null, the caller copies");
            Class<io.jvmm.api.device.GuestMemoryException> fail = io.jvmm.api.device.GuestMemoryException.class;
            assertThrows(fail, () -> d.view(3 * GIB - 8, 16), "not RAM: the PCI hole");
            assertThrows(fail, () -> d.view(-8, 16), "wraps around 2^64");
            m.hide(0xF0000, 0x100000);
            assertThrows(fail, () -> d.view(0xF0000, 16), "a ROM overlay is not RAM");
        } finally {
            m.release();
        }
    }
}
