package io.jvmm.dev.serial16550;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.jvmm.testkit.SerialPipe;
import org.junit.jupiter.api.Test;

/**
 * Replays the register sequence of Linux's 8250 driver (drivers/tty/serial/8250/8250_port.c:
 * autoconfig(), autoconfig_16550a() with the full variant probe, size_fifo(), and the THRE check
 * of serial8250_do_startup()) and classifies the port the way the driver does.
 */
class Linux8250ProbeTest {
    // Register offsets and bits, named as in include/uapi/linux/serial_reg.h.
    static final int UART_RX = 0, UART_TX = 0, UART_DLL = 0, UART_IER = 1, UART_DLM = 1, UART_IIR = 2,
            UART_FCR = 2, UART_EFR = 2, UART_LCR = 3, UART_MCR = 4, UART_LSR = 5, UART_MSR = 6, UART_SCR = 7;
    static final int UART_IER_ALL_INTR = 0x0F, UART_IER_THRI = 0x02, UART_IER_UUE = 0x40;
    static final int UART_IIR_NO_INT = 0x01, UART_IIR_FIFO_ENABLED_16550A = 0xC0,
            UART_IIR_FIFO_ENABLED_16750 = 0xE0;
    static final int UART_FCR_ENABLE_FIFO = 0x01, UART_FCR_CLEAR_RCVR = 0x02, UART_FCR_CLEAR_XMIT = 0x04,
            UART_FCR7_64BYTE = 0x20;
    static final int UART_LCR_CONF_MODE_A = 0x80, UART_LCR_CONF_MODE_B = 0xBF, UART_LCR_WLEN8 = 0x03;
    static final int UART_MCR_LOOP = 0x10, UART_MCR_OUT2 = 0x08, UART_MCR_RTS = 0x02;
    static final int UART_MSR_STATUS_BITS = 0xF0, UART_MSR_DCD = 0x80, UART_MSR_CTS = 0x10;
    static final int UART_LSR_DR = 0x01, UART_LSR_TEMT = 0x40;

    private final SerialPipe pipe = new SerialPipe();
    /** The port under probe. */
    private UartHarness u = UartHarness.com1(pipe);

    private int in(int reg) {
        return u.in(reg);
    }

    private void out(int reg, int value) {
        u.out(reg, value);
    }

    /** autoconfig(): the port type Linux settles on, or why it gave up. */
    String autoconfig() {
        int scratch = in(UART_IER);
        out(UART_IER, 0);
        int scratch2 = in(UART_IER) & UART_IER_ALL_INTR;
        out(UART_IER, UART_IER_ALL_INTR);
        int scratch3 = in(UART_IER) & UART_IER_ALL_INTR;
        out(UART_IER, scratch);
        if (scratch2 != 0 || scratch3 != UART_IER_ALL_INTR) {
            return "absent: IER test failed";
        }
        int saveMcr = in(UART_MCR);
        int saveLcr = in(UART_LCR);

        out(UART_MCR, UART_MCR_LOOP | 0x0A);
        int status1 = in(UART_MSR) & UART_MSR_STATUS_BITS;
        out(UART_MCR, saveMcr);
        if (status1 != (UART_MSR_DCD | UART_MSR_CTS)) {
            return "absent: LOOP test failed";
        }

        out(UART_LCR, UART_LCR_CONF_MODE_B);
        out(UART_EFR, 0);
        out(UART_LCR, 0);
        out(UART_FCR, UART_FCR_ENABLE_FIFO);
        int iir = in(UART_IIR);
        String type;
        switch (iir >> 6) {
            case 0:
                type = autoconfig8250();
                break;
            case 1:
                type = "unknown";
                break;
            case 2:
                type = "16550";
                break;
            default:
                type = autoconfig16550a();
                break;
        }
        out(UART_LCR, saveLcr);
        // Reset the UART as the driver does after probing.
        out(UART_MCR, saveMcr);
        out(UART_FCR, UART_FCR_ENABLE_FIFO);
        out(UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR | UART_FCR_CLEAR_XMIT);
        out(UART_FCR, 0);
        in(UART_RX);
        out(UART_IER, 0);
        return type;
    }

    private String autoconfig8250() {
        int scratch = in(UART_SCR);
        out(UART_SCR, 0xA5);
        int status1 = in(UART_SCR);
        out(UART_SCR, 0x5A);
        int status2 = in(UART_SCR);
        out(UART_SCR, scratch);
        return status1 == 0xA5 && status2 == 0x5A ? "16450" : "8250";
    }

    /** autoconfig_16550a() with CONFIG_SERIAL_8250_16550A_VARIANTS: every variant test. */
    private String autoconfig16550a() {
        String type = "16550A";
        out(UART_LCR, UART_LCR_CONF_MODE_A);
        if (in(UART_EFR) == 0) {
            out(UART_EFR, 0xA8);
            if (in(UART_EFR) != 0) {
                type = "16650";
            } else {
                out(UART_LCR, 0);
                out(UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR7_64BYTE);
                int s1 = in(UART_IIR) & (0x20 | 0xC0);
                out(UART_FCR, 0);
                out(UART_LCR, 0);
                type = s1 == UART_IIR_FIFO_ENABLED_16750 ? "16550A_FSL64" : type;
            }
            out(UART_LCR, 0);
            return type;
        }
        out(UART_LCR, UART_LCR_CONF_MODE_B);
        if (in(UART_EFR) == 0) {
            return "EFRv2 (16650V2/16750/16850/16C950)";
        }
        // National Semiconductor SuperIO: LCR=0xE0 banks EXCR1 in at offset 2.
        out(UART_LCR, 0);
        int status1 = in(UART_MCR);
        out(UART_LCR, 0xE0);
        int status2 = in(0x02);
        if (((status2 ^ status1) & UART_MCR_LOOP) == 0) {
            out(UART_LCR, 0);
            out(UART_MCR, status1 ^ UART_MCR_LOOP);
            out(UART_LCR, 0xE0);
            status2 = in(0x02);
            out(UART_LCR, 0);
            out(UART_MCR, status1);
            if (((status2 ^ status1) & UART_MCR_LOOP) != 0) {
                return "NS16550A";
            }
        }
        // TI16750: IIR bit 5 follows FCR bit 5 only with DLAB set.
        out(UART_LCR, 0);
        out(UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR7_64BYTE);
        status1 = in(UART_IIR) & UART_IIR_FIFO_ENABLED_16750;
        out(UART_FCR, UART_FCR_ENABLE_FIFO);
        out(UART_LCR, UART_LCR_CONF_MODE_A);
        out(UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR7_64BYTE);
        status2 = in(UART_IIR) & UART_IIR_FIFO_ENABLED_16750;
        out(UART_FCR, UART_FCR_ENABLE_FIFO);
        out(UART_LCR, 0);
        if (status1 == UART_IIR_FIFO_ENABLED_16550A && status2 == UART_IIR_FIFO_ENABLED_16750) {
            return "16750";
        }
        // XScale: a writable IER UUE bit.
        int iersave = in(UART_IER);
        out(UART_IER, iersave & ~UART_IER_UUE);
        if ((in(UART_IER) & UART_IER_UUE) == 0) {
            out(UART_IER, iersave | UART_IER_UUE);
            if ((in(UART_IER) & UART_IER_UUE) != 0) {
                return "XScale";
            }
        }
        out(UART_IER, iersave);
        if (sizeFifo() == 64) {
            return "U6_16550A";
        }
        return type;
    }

    /** size_fifo(): how many bytes survive a loopback burst of 256. */
    int sizeFifo() {
        int oldLcr = in(UART_LCR);
        out(UART_LCR, 0);
        int oldFcr = in(UART_FCR);
        int oldMcr = in(UART_MCR);
        out(UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR | UART_FCR_CLEAR_XMIT);
        out(UART_MCR, UART_MCR_LOOP);
        out(UART_LCR, UART_LCR_CONF_MODE_A);
        int oldDl = in(UART_DLL) | in(UART_DLM) << 8;
        out(UART_DLL, 1);
        out(UART_DLM, 0);
        out(UART_LCR, UART_LCR_WLEN8);
        for (int i = 0; i < 256; i++) {
            out(UART_TX, i);
        }
        u.poll(); // the driver's mdelay(20)
        int count = 0;
        while ((in(UART_LSR) & UART_LSR_DR) != 0 && count < 256) {
            in(UART_RX);
            count++;
        }
        out(UART_FCR, oldFcr);
        out(UART_MCR, oldMcr);
        out(UART_LCR, UART_LCR_CONF_MODE_A);
        out(UART_DLL, oldDl & 0xFF);
        out(UART_DLM, oldDl >> 8);
        out(UART_LCR, oldLcr);
        return count;
    }

    @Test
    void linuxClassifiesThePortAs16550A() {
        assertEquals("16550A", autoconfig());
        assertEquals("", pipe.hostOutput(), "probing never transmits (the FIFO test runs in loopback)");
    }

    @Test
    void probeWorksOnADisconnectedPortToo() {
        u = UartHarness.com1(new SerialPipe(16, false));
        assertEquals(0x00, in(UART_MSR));
        assertEquals("16550A", autoconfig());
        assertEquals(0x60, in(UART_LSR));
    }

    @Test
    void fifoSizeIsSixteen() {
        assertEquals(16, sizeFifo());
    }

    @Test
    void probeLeavesTheUartQuiet() {
        autoconfig();
        assertEquals(0x00, in(UART_IER));
        assertEquals(0x01, in(UART_IIR));
        assertEquals(0x00, in(UART_MCR));
        assertEquals(0x00, in(UART_LCR));
        assertEquals(0x60, in(UART_LSR));
    }

    @Test
    void startupThreTestFindsNoBug() {
        // serial8250_do_startup(): a UART that does not re-assert THRE when IER is rewritten gets
        // UART_BUG_THRE (and a software timer); a real 16550A must pass.
        autoconfig();
        out(UART_LCR, UART_LCR_WLEN8);
        out(UART_MCR, UART_MCR_OUT2 | UART_MCR_RTS | 0x01);
        in(UART_LSR);
        in(UART_RX);
        in(UART_IIR);
        in(UART_MSR);
        out(UART_IER, UART_IER_THRI);
        int iir1 = in(UART_IIR);
        out(UART_IER, 0);
        out(UART_IER, UART_IER_THRI);
        int iir = in(UART_IIR);
        out(UART_IER, 0);
        int lsr = in(UART_LSR);
        boolean bugThre = (lsr & UART_LSR_TEMT) != 0 && (iir1 & UART_IIR_NO_INT) == 0
                && (iir & UART_IIR_NO_INT) != 0;
        assertEquals(0x02 | 0x00, iir1 & 0x0F);
        assertFalse(bugThre, "THRE must be re-asserted after IER is rewritten");
    }
}
