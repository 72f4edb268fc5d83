package io.jvmm.runtime.loader;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Builds bzImage-shaped files: a setup header with chosen fields, then a protected-mode "kernel". */
final class SyntheticBzImage {
    int setupSects = 30;
    int version = 0x020f;
    int loadFlags = 0x01; // LOADED_HIGH
    int xloadFlags = 0x01; // XLF_KERNEL_64
    boolean relocatable = true;
    long kernelAlignment = 0x20_0000;
    long prefAddress = 0x100_0000;
    long initSize = 0x200_0000;
    long cmdlineSize = 2047;
    long initrdAddrMax = 0x7fff_ffff;
    int headerJump = 0x66; // header ends at 0x268
    /** Overrides the computed syssize when >= 0. */
    long syssize = -1;
    byte[] protectedMode = pattern(40_000, 7);

    byte[] build() {
        int setupBytes = ((setupSects == 0 ? 4 : setupSects) + 1) * 512;
        byte[] image = new byte[setupBytes + protectedMode.length];
        // fill the setup code with a pattern so tests can tell it was not loaded
        for (int i = 0x202 + headerJump; i < setupBytes; i++) {
            image[i] = (byte) 0xCC;
        }
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0x1f1, (byte) setupSects);
        b.putShort(0x1f2, (short) 1); // root_flags, copied through untouched
        b.putInt(0x1f4, (int) (syssize >= 0 ? syssize : (protectedMode.length + 15) / 16));
        b.putShort(0x1fe, (short) 0xAA55);
        b.put(0x200, (byte) 0xEB);
        b.put(0x201, (byte) headerJump);
        b.putInt(0x202, 0x5372_6448);
        b.putShort(0x206, (short) version);
        b.put(0x211, (byte) loadFlags);
        b.putInt(0x214, 0x10_0000); // code32_start
        b.putInt(0x22c, (int) initrdAddrMax);
        b.putInt(0x230, (int) kernelAlignment);
        b.put(0x234, (byte) (relocatable ? 1 : 0));
        b.put(0x235, (byte) 21); // min_alignment
        b.putShort(0x236, (short) xloadFlags);
        b.putInt(0x238, (int) cmdlineSize);
        b.putLong(0x258, prefAddress);
        b.putInt(0x260, (int) initSize);
        b.putInt(0x264, 0x1234); // handover_offset, copied through untouched
        System.arraycopy(protectedMode, 0, image, setupBytes, protectedMode.length);
        return image;
    }

    static byte[] pattern(int length, int seed) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) (i * 31 + seed | 1); // never zero, so sparse memory stores it
        }
        return bytes;
    }
}
