package io.jvmm.hv.kvm;

import java.nio.ByteBuffer;

/**
 * Builds {@code struct kvm_segment} values. Protected-mode segments are decoded from the same
 * 8-byte GDT descriptors the loader writes into guest memory, so the hidden segment state KVM gets
 * matches what the guest would load from its GDT.
 */
final class Segments {
    static final int SEGMENT_SIZE = 24;

    /** Flat 4 GiB code, 32-bit (type 0xB: execute/read, accessed). */
    static final long CODE32 = 0x00cf_9b00_0000_ffffL;
    /** Flat 4 GiB data (type 0x3: read/write, accessed). */
    static final long DATA = 0x00cf_9300_0000_ffffL;
    /** 32-bit busy TSS at base 0, limit 0x67. */
    static final long TSS32 = 0x0000_8b00_0000_0067L;
    /** 64-bit code (L = 1). */
    static final long CODE64 = 0x00af_9b00_0000_ffffL;
    /** The TSS descriptor Linux's 64-bit boot GDT uses. */
    static final long TSS64 = 0x008f_8b00_0000_ffffL;

    static final int CODE_SELECTOR = 0x08;
    static final int DATA_SELECTOR = 0x10;
    static final int TSS_SELECTOR = 0x18;
    /** The boot GDT: null, code, data, TSS. */
    static final int GDT_LIMIT = 4 * 8 - 1;

    private Segments() {}

    /** Decodes a GDT descriptor into the kvm_segment at {@code offset}. */
    static void fromDescriptor(ByteBuffer sregs, int offset, int selector, long d) {
        long base = ((d >>> 16) & 0xff_ffffL) | (((d >>> 56) & 0xffL) << 24);
        long limit = (d & 0xffffL) | (((d >>> 48) & 0xfL) << 16);
        boolean granularity = ((d >>> 55) & 1) != 0;
        if (granularity) {
            limit = (limit << 12) | 0xfff;
        }
        write(sregs, offset, base, (int) limit, selector,
                (int) ((d >>> 40) & 0xf), // type
                (int) ((d >>> 47) & 1), // present
                (int) ((d >>> 45) & 3), // dpl
                (int) ((d >>> 54) & 1), // db
                (int) ((d >>> 44) & 1), // s
                (int) ((d >>> 53) & 1), // l
                granularity ? 1 : 0,
                (int) ((d >>> 52) & 1)); // avl
    }

    /** A real-mode segment: base = selector * 16, 64 KiB limit. */
    static void realMode(ByteBuffer sregs, int offset, int selector, long base, int type) {
        write(sregs, offset, base, 0xffff, selector, type, 1, 0, 0, 1, 0, 0, 0);
    }

    /** A system segment (TR or LDT) as after reset. */
    static void system(ByteBuffer sregs, int offset, int type) {
        write(sregs, offset, 0, 0xffff, 0, type, 1, 0, 0, 0, 0, 0, 0);
    }

    static void write(ByteBuffer b, int o, long base, int limit, int selector, int type, int present, int dpl,
            int db, int s, int l, int g, int avl) {
        b.putLong(o + Kvm.SEG_BASE, base);
        b.putInt(o + Kvm.SEG_LIMIT, limit);
        b.putShort(o + Kvm.SEG_SELECTOR, (short) selector);
        b.put(o + Kvm.SEG_TYPE, (byte) type);
        b.put(o + Kvm.SEG_PRESENT, (byte) present);
        b.put(o + Kvm.SEG_DPL, (byte) dpl);
        b.put(o + Kvm.SEG_DB, (byte) db);
        b.put(o + Kvm.SEG_S, (byte) s);
        b.put(o + Kvm.SEG_L, (byte) l);
        b.put(o + Kvm.SEG_G, (byte) g);
        b.put(o + Kvm.SEG_AVL, (byte) avl);
        b.put(o + Kvm.SEG_UNUSABLE, (byte) 0);
        b.put(o + Kvm.SEG_UNUSABLE + 1, (byte) 0);
    }

    static long base(ByteBuffer sregs, int offset) {
        return sregs.getLong(offset + Kvm.SEG_BASE);
    }
}
