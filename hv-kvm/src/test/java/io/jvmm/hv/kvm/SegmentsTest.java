package io.jvmm.hv.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class SegmentsTest {
    private static ByteBuffer decode(int selector, long descriptor) {
        ByteBuffer b = ByteBuffer.allocate(Segments.SEGMENT_SIZE).order(ByteOrder.nativeOrder());
        Segments.fromDescriptor(b, 0, selector, descriptor);
        return b;
    }

    /** base, limit, selector, type, present, dpl, db, s, l, g, avl, unusable. */
    private static void assertSegment(ByteBuffer b, long base, long limit, int selector, int type, int present,
            int dpl, int db, int s, int l, int g) {
        assertEquals(base, b.getLong(Kvm.SEG_BASE), "base");
        assertEquals(limit, b.getInt(Kvm.SEG_LIMIT) & 0xffff_ffffL, "limit");
        assertEquals(selector, b.getShort(Kvm.SEG_SELECTOR), "selector");
        assertEquals(type, b.get(Kvm.SEG_TYPE), "type");
        assertEquals(present, b.get(Kvm.SEG_PRESENT), "present");
        assertEquals(dpl, b.get(Kvm.SEG_DPL), "dpl");
        assertEquals(db, b.get(Kvm.SEG_DB), "db");
        assertEquals(s, b.get(Kvm.SEG_S), "s");
        assertEquals(l, b.get(Kvm.SEG_L), "l");
        assertEquals(g, b.get(Kvm.SEG_G), "g");
        assertEquals(0, b.get(Kvm.SEG_UNUSABLE), "unusable");
    }

    @Test
    void flat32BitCodeAndData() {
        assertSegment(decode(0x08, Segments.CODE32), 0, 0xffff_ffffL, 0x08, 0xb, 1, 0, 1, 1, 0, 1);
        assertSegment(decode(0x10, Segments.DATA), 0, 0xffff_ffffL, 0x10, 0x3, 1, 0, 1, 1, 0, 1);
    }

    @Test
    void longModeCodeHasLSetAndDbClear() {
        assertSegment(decode(0x08, Segments.CODE64), 0, 0xffff_ffffL, 0x08, 0xb, 1, 0, 0, 1, 1, 1);
    }

    @Test
    void tssDescriptorsAreBusySystemSegments() {
        assertSegment(decode(0x18, Segments.TSS32), 0, 0x67, 0x18, 0xb, 1, 0, 0, 0, 0, 0);
        assertSegment(decode(0x18, Segments.TSS64), 0, 0xffff_ffffL, 0x18, 0xb, 1, 0, 0, 0, 0, 1);
    }

    @Test
    void baseAndLimitFieldsAreReassembled() {
        // base 0x12345678, limit 0xabcde bytes (G = 0), DPL 3, writable data
        long d = 0x12_4a_f3_34_5678_bcdeL;
        assertSegment(decode(0x2b, d), 0x1234_5678L, 0xabcde, 0x2b, 0x3, 1, 3, 1, 1, 0, 0);
    }
}
