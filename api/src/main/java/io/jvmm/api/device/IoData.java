package io.jvmm.api.device;

/** Little-endian helpers for access buffers. None allocates. */
public final class IoData {
    private IoData() {}

    /** Writes the low {@code data.length} bytes of {@code value}. */
    public static void put(byte[] data, long value) {
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (value >>> (8 * i));
        }
    }

    /** Reads {@code data.length} bytes as an unsigned little-endian value. */
    public static long get(byte[] data) {
        long v = 0;
        for (int i = 0; i < data.length; i++) {
            v |= (data[i] & 0xFFL) << (8 * i);
        }
        return v;
    }

    /** Sets every byte to 0xFF. */
    public static void fillOnes(byte[] data) {
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) 0xFF;
        }
    }
}
