package io.jvmm.dev.pl011;

/** Register offsets and bit layouts of the PL011 (ARM DDI 0183) as the SBSA generic UART uses them. */
final class Pl011Registers {
    private Pl011Registers() {}

    /** The register window: one 4 KiB page. */
    static final int WINDOW_SIZE = 0x1000;

    // Offsets.
    static final int DR = 0x000;
    static final int RSR_ECR = 0x004;
    static final int FR = 0x018;
    static final int ILPR = 0x020;
    static final int IBRD = 0x024;
    static final int FBRD = 0x028;
    static final int LCR_H = 0x02C;
    static final int CR = 0x030;
    static final int IFLS = 0x034;
    static final int IMSC = 0x038;
    static final int RIS = 0x03C;
    static final int MIS = 0x040;
    static final int ICR = 0x044;
    static final int DMACR = 0x048;
    static final int PERIPH_ID0 = 0xFE0;
    static final int PCELL_ID0 = 0xFF0;

    /** UARTPeriphID0..3: part number 0x011, designer ARM (0x41), revision 3, configuration 0. */
    static final int[] PERIPH_ID = {0x11, 0x10, 0x34, 0x00};
    /** UARTPCellID0..3: the PrimeCell identification 0xB105F00D. */
    static final int[] PCELL_ID = {0x0D, 0xF0, 0x05, 0xB1};

    // UARTFR.
    static final int FR_CTS = 1 << 0;
    static final int FR_DSR = 1 << 1;
    static final int FR_DCD = 1 << 2;
    static final int FR_BUSY = 1 << 3;
    static final int FR_RXFE = 1 << 4;
    static final int FR_TXFF = 1 << 5;
    static final int FR_RXFF = 1 << 6;
    static final int FR_TXFE = 1 << 7;
    static final int FR_RI = 1 << 8;

    // UARTLCR_H.
    static final int LCR_H_BRK = 1 << 0;
    static final int LCR_H_FEN = 1 << 4;
    static final int LCR_H_WLEN_8 = 3 << 5;

    // UARTCR.
    static final int CR_UARTEN = 1 << 0;
    static final int CR_LBE = 1 << 7;
    static final int CR_TXE = 1 << 8;
    static final int CR_RXE = 1 << 9;
    static final int CR_DTR = 1 << 10;
    static final int CR_RTS = 1 << 11;
    static final int CR_OUT1 = 1 << 12;
    static final int CR_OUT2 = 1 << 13;
    /** Bits 3-6 (SIREN, SIRLP and reserved) read as zero here: no IrDA. */
    static final int CR_KEPT = 0xFF87;

    /** UARTIFLS: TXIFLSEL (bits 0-2) and RXIFLSEL (bits 3-5). */
    static final int IFLS_KEPT = 0x3F;
    /** What SBSA firmware leaves: both trigger levels at half full. */
    static final int IFLS_HALF = 0x12;

    // Interrupt bits (RIS, MIS, IMSC, ICR).
    static final int INT_RI = 1 << 0;
    static final int INT_CTS = 1 << 1;
    static final int INT_DCD = 1 << 2;
    static final int INT_DSR = 1 << 3;
    static final int INT_RX = 1 << 4;
    static final int INT_TX = 1 << 5;
    static final int INT_RT = 1 << 6;
    static final int INT_FE = 1 << 7;
    static final int INT_PE = 1 << 8;
    static final int INT_BE = 1 << 9;
    static final int INT_OE = 1 << 10;
    static final int INT_ALL = 0x7FF;
    /** A connect or disconnect changes CTS, DCD and DSR together. */
    static final int INT_MODEM_CHANGE = INT_CTS | INT_DCD | INT_DSR;

    /** UARTDMACR: RXDMAE, TXDMAE, DMAONERR. */
    static final int DMACR_KEPT = 0x7;
    /** UARTFBRD: six bits. */
    static final int FBRD_KEPT = 0x3F;

    /** FIFO depth with FEN set (revision 3); a one-entry holding register without. */
    static final int FIFO_SIZE = 32;

    /** Trigger level in bytes for an IFLS field value (0 = 1/8 ... 4 = 7/8; reserved values as 1/2). */
    static int triggerBytes(int fieldValue) {
        return switch (fieldValue) {
            case 0 -> 4;
            case 1 -> 8;
            case 3 -> 24;
            case 4 -> 28;
            default -> 16;
        };
    }
}
