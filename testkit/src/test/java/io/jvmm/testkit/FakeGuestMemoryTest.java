package io.jvmm.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.GuestMemoryException;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** The fake's layout and checks match the KVM backend's (see KvmGuestMemoryTest's DMA cases). */
class FakeGuestMemoryTest {
    private static final long GIB = 1L << 30;

    @Test
    void fieldsAreLittleEndianAndUntouchedRamIsZero() throws GuestMemoryException {
        FakeGuestMemory m = new FakeGuestMemory(1 << 20);
        assertEquals(0, m.read64(0x1000));
        m.write64(0x1000, 0x0807_0605_0403_0201L);
        assertEquals(0x0201, m.read16(0x1000));
        assertEquals(0x0403_0201L, m.read32(0x1000));
        m.write32(0x2000, 0xFFFF_FFFFL);
        assertEquals(0xFFFF_FFFFL, m.read32(0x2000), "32-bit reads are unsigned");
        ByteBuffer b = ByteBuffer.allocateDirect(3);
        m.read(0x1001, b);
        assertEquals(3, b.position());
        assertEquals(2, b.get(0));
        m.zero(0x1000, 8);
        assertEquals(0, m.read64(0x1000));
    }

    @Test
    void rangesOutsideRamFailWithoutTouchingAnything() throws GuestMemoryException {
        FakeGuestMemory m = new FakeGuestMemory(1 << 20);
        assertThrows(GuestMemoryException.class, () -> m.read32((1 << 20) - 2), "straddles the end of RAM");
        assertThrows(GuestMemoryException.class, () -> m.write(-8, new byte[16], 0, 16), "wraps at 2^64");
        assertThrows(GuestMemoryException.class, () -> m.read64(-1L));
        assertThrows(GuestMemoryException.class, () -> m.zero(0, -1));
        assertThrows(GuestMemoryException.class, () -> m.zero(0x10, Long.MAX_VALUE));
        assertFalse(m.isRam(0xFFFF_FFFF_FFFF_FFF0L, 0x20));
        assertTrue(m.isRam((1 << 20) - 4, 4));
        byte[] keep = {1, 2, 3, 4};
        ByteBuffer target = ByteBuffer.wrap(keep);
        assertThrows(GuestMemoryException.class, () -> m.read((1 << 20) - 2, target));
        assertEquals(0, target.position(), "a failed read leaves the buffer alone");
        assertArrayEquals(new byte[] {1, 2, 3, 4}, keep);
        GuestMemoryException e = assertThrows(GuestMemoryException.class, () -> m.read16(0x100000));
        assertEquals(0x100000, e.gpa());
        assertTrue(e.getMessage().contains("0x100000"), e.getMessage());
    }

    @Test
    void thePciHoleIsNotRam() throws GuestMemoryException {
        FakeGuestMemory m = new FakeGuestMemory(4 * GIB);
        assertTrue(m.isRam(0xBFFF_FFF8L, 8));
        assertFalse(m.isRam(0xBFFF_FFF8L, 9), "runs into the hole");
        assertFalse(m.isRam(0xC000_0000L, 1));
        assertFalse(m.isRam(0xFEBF_F000L, 4));
        assertTrue(m.isRam(4 * GIB, GIB), "the last GiB continues at 4 GiB");
        assertFalse(m.isRam(5 * GIB - 1, 2));
        m.write64(5 * GIB - 8, -1L);
        assertEquals(-1L, m.read64(5 * GIB - 8));
        assertThrows(GuestMemoryException.class, () -> m.write16(0xC000_0000L, 1));
    }
}
