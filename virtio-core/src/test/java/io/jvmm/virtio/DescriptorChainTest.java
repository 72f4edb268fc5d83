package io.jvmm.virtio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The buffer accessors a device uses to reach into a chain it popped earlier (virtio-net's num_buffers). */
class DescriptorChainTest {
    @Test
    void buffersReadableFirstAndWritableAddressesAcrossBuffers() {
        DescriptorChain c = new DescriptorChain(8);
        c.clear(3);
        c.add(0x1000, 12, false);
        c.add(0x2000, 100, false);
        c.add(0x3000, 11, true); // a header split after byte 10
        c.add(0x4000, 0, true);
        c.add(0x5000, 50, true);
        assertEquals(5, c.count());
        assertEquals(2, c.readableCount());
        assertEquals(0x2000, c.address(1));
        assertEquals(100, c.length(1));
        assertEquals(0x3000 + 10, c.writableAddress(10));
        assertEquals(0x5000, c.writableAddress(11), "the empty buffer in between is skipped");
        assertEquals(0x5000 + 49, c.writableAddress(60));
        assertEquals(-1, c.writableAddress(61), "past the writable bytes");
        assertEquals(-1, c.writableAddress(-1));
        assertThrows(IndexOutOfBoundsException.class, () -> c.address(5));

        c.clear(4);
        c.add(0x1000, 64, false);
        assertEquals(1, c.readableCount());
        assertEquals(-1, c.writableAddress(0), "no writable buffer");
    }
}
