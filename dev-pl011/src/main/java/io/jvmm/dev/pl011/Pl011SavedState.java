package io.jvmm.dev.pl011;

import io.jvmm.api.device.SavedStateBlob;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;

/**
 * The PL011's saved state, format {@code serial.pl011} version 1. Layout (big-endian): ilpr u8,
 * ibrd u16, fbrd u8, staged ibrd u16, staged fbrd u8, lcr_h u8, cr u16, ifls u8, imsc u16, ris
 * u16, dmacr u8, flags u8 (bit 0: backend connected), then the RX and the TX buffer, each as a u16
 * length and the bytes.
 */
record Pl011SavedState(int ilpr, int ibrd, int fbrd, int stagedIbrd, int stagedFbrd, int lcrH, int cr, int ifls,
        int imsc, int ris, int dmacr, boolean connected, byte[] rx, byte[] tx) {
    static final String FORMAT = "serial.pl011";
    static final int VERSION = 1;
    private static final int FIXED_BYTES = 17;

    SavedStateBlob toBlob() {
        ByteBuffer b = ByteBuffer.allocate(FIXED_BYTES + 2 + rx.length + 2 + tx.length);
        b.put((byte) ilpr).putShort((short) ibrd).put((byte) fbrd)
                .putShort((short) stagedIbrd).put((byte) stagedFbrd)
                .put((byte) lcrH).putShort((short) cr).put((byte) ifls)
                .putShort((short) imsc).putShort((short) ris).put((byte) dmacr)
                .put((byte) (connected ? 1 : 0));
        b.putShort((short) rx.length).put(rx);
        b.putShort((short) tx.length).put(tx);
        return new SavedStateBlob(FORMAT, VERSION, b.array());
    }

    /** Decodes and checks a blob; nothing is applied unless all of it is valid. */
    static Pl011SavedState fromBlob(SavedStateBlob blob) {
        if (!FORMAT.equals(blob.format())) {
            throw new IllegalArgumentException("PL011 saved state: format is '" + blob.format()
                    + "', expected '" + FORMAT + "'");
        }
        if (blob.version() != VERSION) {
            throw new IllegalArgumentException("PL011 saved state: version " + blob.version()
                    + " is not supported (this build reads version " + VERSION + ")");
        }
        ByteBuffer b = ByteBuffer.wrap(blob.data());
        try {
            int ilpr = u8(b);
            int ibrd = u16(b);
            int fbrd = u8(b);
            int stagedIbrd = u16(b);
            int stagedFbrd = u8(b);
            int lcrH = u8(b);
            int cr = u16(b);
            int ifls = u8(b);
            int imsc = u16(b);
            int ris = u16(b);
            int dmacr = u8(b);
            int flags = u8(b);
            check(fbrd <= Pl011Registers.FBRD_KEPT && stagedFbrd <= Pl011Registers.FBRD_KEPT,
                    "FBRD wider than 6 bits");
            check((cr & ~Pl011Registers.CR_KEPT) == 0, "CR has unstored bits set: 0x" + Integer.toHexString(cr));
            check(ifls <= Pl011Registers.IFLS_KEPT, "IFLS wider than 6 bits: 0x" + Integer.toHexString(ifls));
            check(imsc <= Pl011Registers.INT_ALL && ris <= Pl011Registers.INT_ALL,
                    "interrupt bits beyond bit 10 (IMSC 0x" + Integer.toHexString(imsc) + ", RIS 0x"
                            + Integer.toHexString(ris) + ")");
            check(dmacr <= Pl011Registers.DMACR_KEPT, "DMACR wider than 3 bits");
            check((flags & ~1) == 0, "unknown flag bits: 0x" + Integer.toHexString(flags));
            byte[] rx = buffer(b, "RX");
            byte[] tx = buffer(b, "TX");
            check(!b.hasRemaining(), b.remaining() + " trailing bytes");
            return new Pl011SavedState(ilpr, ibrd, fbrd, stagedIbrd, stagedFbrd, lcrH, cr, ifls, imsc, ris, dmacr,
                    (flags & 1) != 0, rx, tx);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("PL011 saved state: truncated (" + blob.data().length + " bytes)");
        }
    }

    private static int u8(ByteBuffer b) {
        return b.get() & 0xFF;
    }

    private static int u16(ByteBuffer b) {
        return b.getShort() & 0xFFFF;
    }

    private static byte[] buffer(ByteBuffer b, String which) {
        int n = u16(b);
        check(n <= Pl011Uart.BUFFER_SIZE, which + " buffer of " + n + " bytes exceeds " + Pl011Uart.BUFFER_SIZE);
        byte[] out = new byte[n];
        b.get(out);
        return out;
    }

    private static void check(boolean ok, String problem) {
        if (!ok) {
            throw new IllegalArgumentException("PL011 saved state: " + problem);
        }
    }
}
