package io.jvmm.dev.pm;

import io.jvmm.api.device.AcpiPmBlock;
import io.jvmm.api.device.Capabilities;
import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.DeviceLifecycle;
import io.jvmm.api.device.DeviceWaker;
import io.jvmm.api.device.IoData;
import io.jvmm.api.device.IoRegion;
import io.jvmm.api.handles.PowerManagementHandle;
import io.jvmm.api.device.IoResult;
import io.jvmm.api.device.LineInterrupt;
import io.jvmm.api.device.LineInterruptTarget;
import io.jvmm.api.device.PollDevice;
import io.jvmm.api.device.PowerButton;
import io.jvmm.api.device.PortIoIntercept;
import io.jvmm.api.device.PowerAction;
import io.jvmm.api.device.SaveRestore;
import io.jvmm.api.device.SavedStateBlob;
import io.jvmm.api.device.VmClock;
import io.jvmm.api.support.LogRateLimiter;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;

/**
 * A PIIX4-style ACPI power-management register block (the one OpenVMM uses for every x86 chipset
 * with ACPI): PM1 event/control, the 3.579545 MHz PM timer, GPE0, the PIIX4 global and device
 * registers, and a reset register. The SCI line is high while an enabled PM1 or GPE0 status bit
 * is set; lines of the {@code gpe0} set going high set GPE0 status bits.
 *
 * <p>The fixed-feature power button (ACPI 6.x §4.8.2.2.1.1, Table 4.13/4.14: PWRBTN_STS, bit 8 of
 * PM1 status, write 1 to clear; PWRBTN_EN, bit 8 of PM1 enable) is pressed by the host through the
 * {@link PowerButton} capability: the press sets PWRBTN_STS from the device's poll, and the SCI is
 * raised if the guest has set PWRBTN_EN. The FADT says the button is there (PWR_BUTTON flag clear).
 *
 * <p>Accesses of any width (1, 2, 4) at any offset are split into byte lanes: each lane reads or
 * writes the register that contains it, so a wide read returns the aligned register shifted, and
 * a 4-byte access at offset 0 touches PM1 status and PM1 enable together. Unknown offsets read 0
 * and log a rate-limited warning.
 */
final class PowerManagementDevice
        implements ChipsetDevice, PortIoIntercept, DeviceLifecycle, SaveRestore, PollDevice, PowerButton {
    private final Capabilities capabilities;

    @Override
    public Capabilities capabilities() {
        return capabilities;
    }

    private static final System.Logger LOG = System.getLogger(PowerManagementDevice.class.getName());

    /** GPE0 status bits a {@code gpe0} line can set. */
    static final int GPE0_LINES = 16;

    // Register offsets from the base port.
    static final int PM1_STS = 0x00;
    static final int PM1_EN = 0x02;
    static final int PM1_CNT = 0x04;
    static final int PM_TMR = 0x08;
    static final int GPE0_STS = 0x0C;
    static final int GPE0_EN = 0x0E;
    static final int PCNTRL = 0x10;
    static final int P_LVL2 = 0x14;
    static final int P_LVL3 = 0x15;
    static final int GLBSTS = 0x18;
    static final int DEVSTS = 0x1C;
    static final int GLBEN = 0x20;
    static final int GLBCTL = 0x28;
    static final int DEVCTL = 0x2C;
    static final int GPI1 = 0x30;
    static final int GPI2 = 0x31;
    static final int GPI3 = 0x32;
    static final int RESET = 0x33;
    static final int GPO = 0x34;

    static final int PM1_EN_MASK = 0x0521;
    static final int PM1_STS_TMR = 0x0001;
    /** PWRBTN_STS (PM1 status) and PWRBTN_EN (PM1 enable): bit 8 of both (ACPI 6.x Tables 4.13, 4.14). */
    static final int PM1_PWRBTN = 0x0100;
    static final int PM1_CNT_SCI_EN = 0x0001;
    static final int PM1_CNT_SLP_EN = 0x2000;
    static final int GPE0_EN_MASK = 0x0F01;
    static final int PCNTRL_MASK = 0x00023E1E;
    static final int GLBSTS_W1C_MASK = 0x0D25;
    static final int GLBSTS_DEVICE = 0x10;
    static final int GLBSTS_PM1 = 0x40;
    static final int GLBSTS_GPE0 = 0x80;
    static final int GLBEN_MASK = 0x8D13;
    static final int GLBCTL_BIOS_RLS = 0x2;
    static final int GLBCTL_MASK = 0x0701FFE7 & ~GLBCTL_BIOS_RLS;
    static final int GPO_INITIAL = 0x7FFFBFFF;
    static final int RESET_VALUE = 0x01;
    /** The SLP_TYP that means S5, soft off (and the DSDT's \_S5 says so). */
    static final int S5_SLP_TYP = 0;

    static final long PM_TIMER_HZ = 3_579_545L;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final String name;
    private final int base;
    private final List<IoRegion> regions;
    private final LineInterrupt sci;
    private final VmClock clock;
    /** The board's requestPower(action, cause). */
    private final BiConsumer<PowerAction, String> power;
    private final LogRateLimiter unknownWarning = new LogRateLimiter(10, 5 * NANOS_PER_SECOND, System::nanoTime);
    private final LineInterruptTarget gpe0Target = this::setGpe0Line;
    private final DeviceWaker waker;
    /** A host press not yet taken over by {@link #poll()}. */
    private final AtomicBoolean buttonPressed = new AtomicBoolean();
    /** PWRBTN_EN as last written, for {@link #press()} to report without the device's lock. */
    private volatile boolean buttonEnabled;

    private int pm1Status;
    private int pm1Enable;
    private int pm1Control;
    private int gpe0Status;
    private int gpe0Enable;
    private int processorControl;
    private int globalStatus;
    private int deviceStatus;
    private int globalEnable;
    private int globalControl;
    private int deviceControl;
    private int generalOutput;
    /** The timer has counted for {@code clock.nanos() + timerOffsetNanos} nanoseconds of VM time. */
    private long timerOffsetNanos;

    PowerManagementDevice(String name, int base, int sciIrq, LineInterrupt sci, VmClock clock,
            BiConsumer<PowerAction, String> power, DeviceWaker waker) {
        this.capabilities = Capabilities.builder().portIo(this).lifecycle(this).savedState(this)
                .pollDevice(this).powerButton(this).acpiPmBlock(acpiPmBlock(base, sciIrq)).build();
        this.waker = waker;
        this.name = name;
        this.base = base;
        this.regions = List.of(new IoRegion("pm", base, PowerManagementHandle.LENGTH));
        this.sci = sci;
        this.clock = clock;
        this.power = power;
        apply(PmState.initial());
    }

    /**
     * This block as the FADT describes it: PM1a event at +0 (status, enable), PM1a control at +4, the
     * 32-bit timer at +8, GPE0 at +0x0C (2 status bytes, 2 enable bytes), the reset register at +0x33
     * with {@link #RESET_VALUE}, S5 as SLP_TYP 0 (what {@link #sleep} powers off on), and the
     * fixed-feature power button.
     */
    static AcpiPmBlock acpiPmBlock(int base, int sciIrq) {
        return new AcpiPmBlock(sciIrq, base + PM1_STS, base + PM1_CNT, base + PM_TMR, true, base + GPE0_STS,
                GPE0_EN - GPE0_STS + 2, base + RESET, RESET_VALUE, S5_SLP_TYP, true);
    }

    // --- the power button -----------------------------------------------------------------------

    @Override
    public boolean press() {
        buttonPressed.set(true);
        waker.wake();
        return buttonEnabled;
    }

    /** Takes over a host press: PWRBTN_STS, and the SCI if PWRBTN_EN is set. Runs under the device's lock. */
    @Override
    public void poll() {
        if (buttonPressed.getAndSet(false)) {
            pm1Status |= PM1_PWRBTN;
            updateSci();
        }
    }

    LineInterruptTarget gpe0Target() {
        return gpe0Target;
    }

    // --- register map ---------------------------------------------------------------------

    /** The offset of the register holding byte {@code offset}, or -1 if none does. */
    static int registerStart(int offset) {
        switch (offset) {
            case 0x00, 0x01: return PM1_STS;
            case 0x02, 0x03: return PM1_EN;
            case 0x04, 0x05: return PM1_CNT;
            case 0x08, 0x09, 0x0A, 0x0B: return PM_TMR;
            case 0x0C, 0x0D: return GPE0_STS;
            case 0x0E, 0x0F: return GPE0_EN;
            case 0x10, 0x11, 0x12, 0x13: return PCNTRL;
            case 0x14: return P_LVL2;
            case 0x15: return P_LVL3;
            case 0x18, 0x19: return GLBSTS;
            case 0x1C, 0x1D, 0x1E, 0x1F: return DEVSTS;
            case 0x20, 0x21: return GLBEN;
            case 0x28, 0x29, 0x2A, 0x2B: return GLBCTL;
            case 0x2C, 0x2D, 0x2E, 0x2F: return DEVCTL;
            case 0x30: return GPI1;
            case 0x31: return GPI2;
            case 0x32: return GPI3;
            case 0x33: return RESET;
            case 0x34, 0x35, 0x36, 0x37: return GPO;
            default: return -1;
        }
    }

    static int registerWidth(int start) {
        switch (start) {
            case PM_TMR, PCNTRL, DEVSTS, GLBCTL, DEVCTL, GPO: return 4;
            case P_LVL2, P_LVL3, GPI1, GPI2, GPI3, RESET: return 1;
            default: return 2;
        }
    }

    private long readRegister(int start) {
        switch (start) {
            case PM1_STS: return pm1Status;
            case PM1_EN: return pm1Enable;
            case PM1_CNT: return pm1Control;
            case PM_TMR: return pmTimer();
            case GPE0_STS: return gpe0Status;
            case GPE0_EN: return gpe0Enable;
            case PCNTRL: return processorControl & 0xFFFF_FFFFL;
            case GLBSTS: return globalStatusRead();
            case DEVSTS: return deviceStatus & 0xFFFF_FFFFL;
            case GLBEN: return globalEnable;
            case GLBCTL: return globalControl & 0xFFFF_FFFFL;
            case DEVCTL: return deviceControl & 0xFFFF_FFFFL;
            case GPO: return generalOutput & 0xFFFF_FFFFL;
            default: return 0; // P_LVL2/3 (no C-states), general inputs, reset: read 0
        }
    }

    private int globalStatusRead() {
        int v = globalStatus;
        if ((pm1Status & ~PM1_STS_TMR) != 0) {
            v |= GLBSTS_PM1;
        }
        if (gpe0Status != 0) {
            v |= GLBSTS_GPE0;
        }
        if (deviceStatus != 0) {
            v |= GLBSTS_DEVICE;
        }
        return v;
    }

    /** Writes the lanes of {@code value} selected by {@code mask} (both aligned to the register). */
    private void writeRegister(int start, int value, int mask) {
        switch (start) {
            case PM1_STS -> pm1Status &= ~(value & mask);
            case PM1_EN -> {
                pm1Enable = merge(pm1Enable, value, mask) & PM1_EN_MASK;
                buttonEnabled = (pm1Enable & PM1_PWRBTN) != 0;
            }
            case PM1_CNT -> {
                int v = merge(pm1Control, value, mask);
                // SLP_EN is write-only: it triggers the transition and is never stored.
                pm1Control = v & ~PM1_CNT_SLP_EN & 0xFFFF;
                if ((v & PM1_CNT_SLP_EN) != 0) {
                    sleep((v >>> 10) & 7);
                }
            }
            case GPE0_STS -> gpe0Status &= ~(value & mask);
            case GPE0_EN -> gpe0Enable = merge(gpe0Enable, value, mask) & GPE0_EN_MASK;
            case PCNTRL -> processorControl = merge(processorControl, value, mask) & PCNTRL_MASK;
            case GLBSTS -> globalStatus &= ~(value & mask & GLBSTS_W1C_MASK);
            case DEVSTS -> deviceStatus = merge(deviceStatus, ~value, mask);
            case GLBEN -> globalEnable = merge(globalEnable, value, mask) & GLBEN_MASK;
            case GLBCTL -> globalControl = merge(globalControl, value, mask) & GLBCTL_MASK;
            case DEVCTL -> deviceControl = merge(deviceControl, value, mask);
            case GPO -> generalOutput = merge(generalOutput, value, mask);
            case RESET -> {
                if ((value & mask & 0xFF) == RESET_VALUE) {
                    power.accept(PowerAction.RESET, String.format(
                            "had the reset value 0x%02x written to its reset register (port 0x%x)", RESET_VALUE,
                            base + RESET));
                }
            }
            default -> { } // timer, P_LVLx and general inputs are read-only
        }
    }

    private static int merge(int old, int value, int mask) {
        return (old & ~mask) | (value & mask);
    }

    private void sleep(int slpTyp) {
        // The DSDT's \_S5 and \_S4 packages must carry these SLP_TYP values.
        switch (slpTyp) {
            // The causes name what the guest wrote, as ACPI does: SLP_TYP with SLP_EN in PM1 control.
            case S5_SLP_TYP -> power.accept(PowerAction.POWER_OFF, "was told to enter S5, soft off (SLP_TYP 0 with SLP_EN)");
            case 1 -> power.accept(PowerAction.HIBERNATE,
                    "was told to enter S4, hibernate (SLP_TYP 1 with SLP_EN; treated as a power-off)");
            default -> { } // S1-S3 are not offered
        }
    }

    /** The 32-bit PM timer: exactly 3579545 ticks per second of VM time, no drift. */
    long pmTimer() {
        return ticks(timerNanos()) & 0xFFFF_FFFFL;
    }

    /** VM time the timer has counted since power-on (it stands still while the VM is saved). */
    private long timerNanos() {
        return clock.nanos() + timerOffsetNanos;
    }

    /** {@code floor(nanos * 3579545 / 1e9)} without overflowing. */
    static long ticks(long nanos) {
        long seconds = Math.floorDiv(nanos, NANOS_PER_SECOND);
        long rest = Math.floorMod(nanos, NANOS_PER_SECOND);
        return seconds * PM_TIMER_HZ + rest * PM_TIMER_HZ / NANOS_PER_SECOND;
    }

    private void updateSci() {
        sci.setLevel((pm1Enable & pm1Status) != 0 || (gpe0Enable & gpe0Status) != 0);
    }

    private void setGpe0Line(int bit, boolean high) {
        if (bit < 0 || bit >= GPE0_LINES) {
            return;
        }
        // Level high sets the status bit; going low leaves it for the guest to clear.
        if (high) {
            gpe0Status |= 1 << bit;
            updateSci();
        }
    }

    // --- port I/O -----------------------------------------------------------------------------

    @Override
    public List<IoRegion> pioRegions() {
        return regions;
    }

    @Override
    public IoResult ioRead(int region, int offset, byte[] data) {
        long result = 0;
        int lane = 0;
        while (lane < data.length) {
            int start = registerStart(offset + lane);
            if (start < 0) {
                warnUnknown("read", offset + lane, data.length);
                lane++;
                continue;
            }
            long value = readRegister(start);
            int end = start + registerWidth(start);
            while (lane < data.length && offset + lane < end) {
                result |= ((value >>> (8 * (offset + lane - start))) & 0xFF) << (8 * lane);
                lane++;
            }
        }
        IoData.put(data, result);
        return IoResult.OK;
    }

    @Override
    public IoResult ioWrite(int region, int offset, byte[] data) {
        int lane = 0;
        while (lane < data.length) {
            int start = registerStart(offset + lane);
            if (start < 0) {
                warnUnknown("write", offset + lane, data.length);
                lane++;
                continue;
            }
            int value = 0;
            int mask = 0;
            int end = start + registerWidth(start);
            while (lane < data.length && offset + lane < end) {
                int shift = 8 * (offset + lane - start);
                value |= (data[lane] & 0xFF) << shift;
                mask |= 0xFF << shift;
                lane++;
            }
            writeRegister(start, value, mask);
        }
        updateSci();
        return IoResult.OK;
    }

    private void warnUnknown(String what, int offset, int length) {
        if (unknownWarning.tryAcquire() != LogRateLimiter.SUPPRESSED && LOG.isLoggable(System.Logger.Level.WARNING)) {
            LOG.log(System.Logger.Level.WARNING, name + ": " + what + " of unknown PM register at offset 0x"
                    + Integer.toHexString(offset) + " (access of " + length + " bytes); reads 0 ("
                    + unknownWarning.suppressedTotal() + " similar warnings suppressed so far)");
        }
    }

    // --- lifecycle and saved state --------------------------------------------------------------

    /** Back to {@link PmState#initial()}; the SCI drops. */
    @Override
    public void reset() {
        // a press the guest never saw dies with it, as a real button's press does across a reset
        buttonPressed.set(false);
        apply(PmState.initial());
    }

    @Override
    public SavedStateBlob save() {
        return PmState.FORMAT.save(capture());
    }

    /** Decodes and checks all of {@code blob} first: a bad blob throws and changes nothing. */
    @Override
    public void restore(SavedStateBlob blob) {
        apply(PmState.FORMAT.restore(blob));
    }

    PmState capture() {
        return new PmState(pm1Status, pm1Enable, pm1Control, gpe0Status, gpe0Enable, processorControl, globalStatus,
                deviceStatus, globalEnable, globalControl, deviceControl, generalOutput, timerNanos());
    }

    /** Makes {@code s} the state: the timer counts on from where it was in VM time; the SCI follows. */
    private void apply(PmState s) {
        pm1Status = s.pm1Status();
        pm1Enable = s.pm1Enable();
        buttonEnabled = (pm1Enable & PM1_PWRBTN) != 0;
        pm1Control = s.pm1Control();
        gpe0Status = s.gpe0Status();
        gpe0Enable = s.gpe0Enable();
        processorControl = s.processorControl();
        globalStatus = s.globalStatus();
        deviceStatus = s.deviceStatus();
        globalEnable = s.globalEnable();
        globalControl = s.globalControl();
        deviceControl = s.deviceControl();
        generalOutput = s.generalOutput();
        timerOffsetNanos = s.timerNanos() - clock.nanos();
        updateSci();
    }
}
