package io.jvmm.api.device;

/**
 * The ACPI fixed hardware a power-management device implements, as the board puts it in the FADT
 * (ACPI 6.x §5.2.9): a PM1a event block of 4 ports (status, enable), a PM1a control block of 2, a
 * 4-port PM timer, a GPE0 block (status half, then enable half), the SCI line and a reset register.
 * All in the port I/O space.
 *
 * @param sciIrq the ISA IRQ the SCI is on (PC convention: 9); the board declares it level-triggered,
 *     active high, in the MADT
 * @param pm1aEventPort first port of PM1a_EVT_BLK (PM1 status, then PM1 enable)
 * @param pm1aControlPort PM1a_CNT_BLK
 * @param pmTimerPort PM_TMR_BLK
 * @param pmTimer32Bit whether the timer counts 32 bits (FADT flag TMR_VAL_EXT) rather than 24
 * @param gpe0Port GPE0_BLK
 * @param gpe0Length GPE0_BLK_LEN: bytes of the block, even, status and enable halves of equal size
 * @param resetPort the 8-bit reset register (FADT RESET_REG), or -1 if there is none
 * @param resetValue what writing to {@code resetPort} resets the machine with (RESET_VALUE)
 * @param s5SleepType the SLP_TYP value that, written with SLP_EN to PM1 control, powers the machine
 *     off (the DSDT's {@code \_S5} package carries it)
 * @param fixedPowerButton whether the block implements the fixed-feature power button (PWRBTN_STS and
 *     PWRBTN_EN, bit 8 of PM1 status and enable; ACPI 6.x §4.8.2.2.1.1); the FADT then clears its
 *     PWR_BUTTON flag, which set means "no fixed-feature power button"
 */
public record AcpiPmBlock(int sciIrq, int pm1aEventPort, int pm1aControlPort, int pmTimerPort, boolean pmTimer32Bit,
        int gpe0Port, int gpe0Length, int resetPort, int resetValue, int s5SleepType, boolean fixedPowerButton) {
    /** PM1_EVT_LEN: the 16-bit status and enable registers. */
    public static final int PM1_EVENT_LENGTH = 4;
    /** PM1_CNT_LEN. */
    public static final int PM1_CONTROL_LENGTH = 2;
    /** PM_TMR_LEN. */
    public static final int PM_TIMER_LENGTH = 4;

    public AcpiPmBlock {
        if (sciIrq < 0 || sciIrq > 15) {
            throw new IllegalArgumentException("SCI IRQ " + sciIrq + " is not an ISA IRQ (0..15)");
        }
        port("PM1a event block", pm1aEventPort, PM1_EVENT_LENGTH);
        port("PM1a control block", pm1aControlPort, PM1_CONTROL_LENGTH);
        port("PM timer", pmTimerPort, PM_TIMER_LENGTH);
        if (gpe0Length < 2 || gpe0Length % 2 != 0 || gpe0Length > 255) {
            throw new IllegalArgumentException("GPE0 block length " + gpe0Length + " must be even, 2..254");
        }
        port("GPE0 block", gpe0Port, gpe0Length);
        if (resetPort != -1) {
            port("reset register", resetPort, 1);
        }
        if (resetValue < 0 || resetValue > 0xFF) {
            throw new IllegalArgumentException("reset value " + resetValue + " is not a byte");
        }
        if (s5SleepType < 0 || s5SleepType > 7) {
            throw new IllegalArgumentException("SLP_TYP " + s5SleepType + " is not 3 bits");
        }
    }

    /** A block without the fixed-feature power button. */
    public AcpiPmBlock(int sciIrq, int pm1aEventPort, int pm1aControlPort, int pmTimerPort, boolean pmTimer32Bit,
            int gpe0Port, int gpe0Length, int resetPort, int resetValue, int s5SleepType) {
        this(sciIrq, pm1aEventPort, pm1aControlPort, pmTimerPort, pmTimer32Bit, gpe0Port, gpe0Length, resetPort,
                resetValue, s5SleepType, false);
    }

    private static void port(String what, int port, int length) {
        if (port < 0 || port + length - 1 > 0xFFFF) {
            throw new IllegalArgumentException(what + " at port 0x" + Integer.toHexString(port)
                    + " does not fit in the port space");
        }
    }
}
