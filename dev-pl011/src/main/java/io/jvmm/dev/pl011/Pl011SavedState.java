package io.jvmm.dev.pl011;

import static io.jvmm.dev.pl011.Pl011Registers.*;

import io.jvmm.api.support.StateFormat;

/**
 * Everything a guest can observe of the PL011, as one value: the registers (with the baud
 * divisors staged behind LCR_H), the raw interrupt status, the backend's connectivity as last seen
 * (CTS/DSR/DCD in FR) and both buffers. The compact constructor holds the state's rules; {@link
 * #initial} is the state SBSA firmware leaves; {@link #FORMAT} is how it is saved ({@code
 * serial.pl011}, version 2: version 1 was a hand-written byte layout, no longer read). The line
 * level is not stored: it is (RIS AND IMSC) != 0.
 *
 * @param ris the raw interrupt status; RT is re-derived from {@code rx} whenever it is applied
 * @param connected the backend's connectivity as last seen; the next poll reports a difference as a
 *     modem-line change
 * @param rx received bytes (the FIFO and what waits behind it), oldest first
 * @param tx output not yet taken by the backend, oldest first
 */
record Pl011SavedState(int ilpr, int ibrd, int fbrd, int stagedIbrd, int stagedFbrd, int lcrH, int cr, int ifls,
        int imsc, int ris, int dmacr, boolean connected, byte[] rx, byte[] tx) {
    static final StateFormat<Pl011SavedState> FORMAT = StateFormat.of("serial.pl011", 2, 2,
            (s, out) -> out.u8("ilpr", s.ilpr).u16("ibrd", s.ibrd).u8("fbrd", s.fbrd)
                    .u16("staged_ibrd", s.stagedIbrd).u8("staged_fbrd", s.stagedFbrd).u8("lcr_h", s.lcrH)
                    .u16("cr", s.cr).u8("ifls", s.ifls).u16("imsc", s.imsc).u16("ris", s.ris).u8("dmacr", s.dmacr)
                    .bool("connected", s.connected).bytes("rx", s.rx).bytes("tx", s.tx),
            in -> {
                return new Pl011SavedState(in.u8("ilpr"), in.u16("ibrd"), in.u8("fbrd"), in.u16("staged_ibrd"),
                        in.u8("staged_fbrd"), in.u8("lcr_h"), in.u16("cr"), in.u8("ifls"), in.u16("imsc"), in.u16("ris"),
                        in.u8("dmacr"), in.bool("connected"), in.bytes("rx", Pl011Uart.BUFFER_SIZE),
                        in.bytes("tx", Pl011Uart.BUFFER_SIZE));
            });

    Pl011SavedState {
        check(ilpr, 0xFF, "ILPR");
        check(ibrd, 0xFFFF, "IBRD");
        check(stagedIbrd, 0xFFFF, "staged IBRD");
        check(fbrd, FBRD_KEPT, "FBRD wider than 6 bits");
        check(stagedFbrd, FBRD_KEPT, "staged FBRD wider than 6 bits");
        check(lcrH, 0xFF, "LCR_H");
        check(cr, CR_KEPT, "CR has unstored bits set");
        check(ifls, IFLS_KEPT, "IFLS wider than 6 bits");
        check(imsc, INT_ALL, "IMSC has interrupt bits beyond bit 10");
        check(ris, INT_ALL, "RIS has interrupt bits beyond bit 10");
        check(dmacr, DMACR_KEPT, "DMACR wider than 3 bits");
        if (rx.length > Pl011Uart.BUFFER_SIZE || tx.length > Pl011Uart.BUFFER_SIZE) {
            throw new IllegalArgumentException("PL011 state: RX " + rx.length + " / TX " + tx.length
                    + " bytes exceed the buffer of " + Pl011Uart.BUFFER_SIZE);
        }
        rx = rx.clone();
        tx = tx.clone();
    }

    /**
     * What SBSA firmware leaves: enabled, FIFOs on, half-full triggers, everything masked, buffers
     * empty; a peer already attached counts as a modem-line change, as if it had just connected.
     */
    static Pl011SavedState initial(boolean backendConnected) {
        return new Pl011SavedState(0, 0, 0, 0, 0, LCR_H_FEN, CR_UARTEN | CR_TXE | CR_RXE, IFLS_HALF, 0,
                backendConnected ? INT_MODEM_CHANGE : 0, 0, backendConnected, new byte[0], new byte[0]);
    }

    @Override
    public byte[] rx() {
        return rx.clone();
    }

    @Override
    public byte[] tx() {
        return tx.clone();
    }

    private static void check(int value, int allowed, String what) {
        if ((value & ~allowed) != 0) {
            throw new IllegalArgumentException("PL011 state: " + what + ": 0x" + Integer.toHexString(value));
        }
    }
}
