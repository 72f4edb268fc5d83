package io.jvmm.runtime.board;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.jvmm.api.device.GuestMemoryException;
import io.jvmm.testkit.FakeGuestMemory;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** The board's memory forwards every access, views included, once the partition's RAM is connected. */
class LateDmaMemoryTest {
    @Test
    void beforeConnectEveryAccessFailsAfterItEverythingReachesTheRam() throws Exception {
        LateDmaMemory late = new LateDmaMemory();
        assertThrows(GuestMemoryException.class, () -> late.read32(0x1000));
        FakeGuestMemory ram = new FakeGuestMemory(1 << 20);
        late.connect(ram);
        late.write32(0x1000, 0xCAFE_F00DL);
        assertEquals(0xCAFE_F00DL, ram.read32(0x1000));
        assertEquals(0xF00D, late.read16(0x1000));
        ByteBuffer view = late.view(0x1000, 8);
        assertNotNull(view, "a view of the real RAM (devices move data through it without a copy)");
        assertEquals(0xCAFE_F00D, view.getInt(0));
    }
}
