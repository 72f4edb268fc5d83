package io.jvmm.dev.serial16550;

import io.jvmm.api.support.StateFormat;

/**
 * Everything a guest can observe of a 16550, as one value: the registers, the interrupt
 * bookkeeping and both buffers (the RX FIFO with what is buffered behind it, and output not yet
 * taken by the backend). The compact constructor holds the state's rules; {@link #initial} is the
 * power-on state; {@link #FORMAT} is how it is saved ({@code serial.uart16550}, version 2: version
 * 1 was a hand-written byte layout, no longer read). The pending interrupt and the line level are
 * not stored: they follow from these registers and buffers.
 *
 * @param msr the delta bits (0-3) and the backend-driven status bits (4-7)
 * @param thrAcked the guest read IIR while THRE was the pending source (cleared by THR or IER writes)
 * @param overrun an overrun waits to be reported in LSR
 * @param rx received bytes, oldest first
 * @param tx output bytes not yet taken by the backend, oldest first
 */
record UartSavedState(int ier, int lcr, int mcr, int msr, int fcr, int dll, int dlm, int scratch,
        boolean thrAcked, boolean overrun, byte[] rx, byte[] tx) {
    static final StateFormat<UartSavedState> FORMAT = StateFormat.of("serial.uart16550", 2, 2,
            (s, out) -> out.u8("ier", s.ier).u8("lcr", s.lcr).u8("mcr", s.mcr).u8("msr", s.msr).u8("fcr", s.fcr)
                    .u8("dll", s.dll).u8("dlm", s.dlm).u8("scratch", s.scratch).bool("thr_acked", s.thrAcked)
                    .bool("overrun", s.overrun).bytes("rx", s.rx).bytes("tx", s.tx),
            in -> {
                return new UartSavedState(in.u8("ier"), in.u8("lcr"), in.u8("mcr"), in.u8("msr"), in.u8("fcr"),
                        in.u8("dll"), in.u8("dlm"), in.u8("scratch"), in.bool("thr_acked"), in.bool("overrun"),
                        in.bytes("rx", Uart16550.BUFFER_SIZE), in.bytes("tx", Uart16550.BUFFER_SIZE));
            });

    UartSavedState {
        check(ier, 0x0F, "IER has reserved bits set");
        check(lcr, 0xFF, "LCR");
        check(mcr, 0x1F, "MCR has reserved bits set");
        check(msr, 0xFF, "MSR");
        check(fcr, Uart16550.FCR_KEPT, "FCR has unstored bits set");
        check(dll, 0xFF, "DLL");
        check(dlm, 0xFF, "DLM");
        check(scratch, 0xFF, "SCR");
        if (rx.length > Uart16550.BUFFER_SIZE || tx.length > Uart16550.BUFFER_SIZE) {
            throw new IllegalArgumentException("16550 state: RX " + rx.length + " / TX " + tx.length
                    + " bytes exceed the buffer of " + Uart16550.BUFFER_SIZE);
        }
        rx = rx.clone();
        tx = tx.clone();
    }

    /**
     * Power-on: everything 0 but the scratch register (0xFF), buffers empty; a backend already
     * connected shows as CTS, DSR and DCD with their deltas set, as if it had just connected.
     */
    static UartSavedState initial(boolean backendConnected) {
        int msr = backendConnected ? Uart16550.MSR_CONNECT_DELTAS | Uart16550.MSR_CONNECTED : 0;
        return new UartSavedState(0, 0, 0, msr, 0, 0, 0, 0xFF, false, false, new byte[0], new byte[0]);
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
            throw new IllegalArgumentException("16550 state: " + what + ": 0x" + Integer.toHexString(value));
        }
    }
}
