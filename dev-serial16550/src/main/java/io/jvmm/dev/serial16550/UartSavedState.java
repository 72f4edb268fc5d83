package io.jvmm.dev.serial16550;

import io.jvmm.api.device.SavedStateBlob;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;

/**
 * The 16550's saved state, format {@code serial.uart16550} version 1. Layout: ier, lcr, mcr, msr,
 * fcr, dll, dlm, scratch (one byte each), flags (bit 0 THRE acknowledged, bit 1 overrun), then
 * the RX and the TX buffer, each as a big-endian u16 length and the bytes.
 */
record UartSavedState(int ier, int lcr, int mcr, int msr, int fcr, int dll, int dlm, int scratch,
        boolean thrAcked, boolean overrun, byte[] rx, byte[] tx) {
    static final String FORMAT = "serial.uart16550";
    static final int VERSION = 1;

    SavedStateBlob toBlob() {
        ByteBuffer b = ByteBuffer.allocate(9 + 2 + rx.length + 2 + tx.length);
        b.put((byte) ier).put((byte) lcr).put((byte) mcr).put((byte) msr).put((byte) fcr)
                .put((byte) dll).put((byte) dlm).put((byte) scratch)
                .put((byte) ((thrAcked ? 1 : 0) | (overrun ? 2 : 0)));
        b.putShort((short) rx.length).put(rx);
        b.putShort((short) tx.length).put(tx);
        return new SavedStateBlob(FORMAT, VERSION, b.array());
    }

    /** Decodes and checks a blob; nothing is applied unless all of it is valid. */
    static UartSavedState fromBlob(SavedStateBlob blob) {
        if (!FORMAT.equals(blob.format())) {
            throw new IllegalArgumentException("16550 saved state: format is '" + blob.format()
                    + "', expected '" + FORMAT + "'");
        }
        if (blob.version() != VERSION) {
            throw new IllegalArgumentException("16550 saved state: version " + blob.version()
                    + " is not supported (this build reads version " + VERSION + ")");
        }
        ByteBuffer b = ByteBuffer.wrap(blob.data());
        try {
            int ier = u8(b);
            int lcr = u8(b);
            int mcr = u8(b);
            int msr = u8(b);
            int fcr = u8(b);
            int dll = u8(b);
            int dlm = u8(b);
            int scratch = u8(b);
            int flags = u8(b);
            check(ier <= 0x0F, "IER has reserved bits set: 0x" + Integer.toHexString(ier));
            check(mcr <= 0x1F, "MCR has reserved bits set: 0x" + Integer.toHexString(mcr));
            check((fcr & ~Uart16550.FCR_KEPT) == 0, "FCR has unstored bits set: 0x" + Integer.toHexString(fcr));
            check((flags & ~3) == 0, "unknown flag bits: 0x" + Integer.toHexString(flags));
            byte[] rx = buffer(b, "RX");
            byte[] tx = buffer(b, "TX");
            check(!b.hasRemaining(), b.remaining() + " trailing bytes");
            return new UartSavedState(ier, lcr, mcr, msr, fcr, dll, dlm, scratch, (flags & 1) != 0,
                    (flags & 2) != 0, rx, tx);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("16550 saved state: truncated (" + blob.data().length + " bytes)");
        }
    }

    private static int u8(ByteBuffer b) {
        return b.get() & 0xFF;
    }

    private static byte[] buffer(ByteBuffer b, String which) {
        int n = b.getShort() & 0xFFFF;
        check(n <= Uart16550.BUFFER_SIZE, which + " buffer of " + n + " bytes exceeds " + Uart16550.BUFFER_SIZE);
        byte[] out = new byte[n];
        b.get(out);
        return out;
    }

    private static void check(boolean ok, String problem) {
        if (!ok) {
            throw new IllegalArgumentException("16550 saved state: " + problem);
        }
    }
}
