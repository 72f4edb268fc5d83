package io.jvmm.dev.cmosrtc;

import io.jvmm.api.device.AcpiNode;
import io.jvmm.api.device.Capabilities;
import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.DeviceLifecycle;
import io.jvmm.api.device.DeviceWaker;
import io.jvmm.api.device.IoRegion;
import io.jvmm.api.device.IoResult;
import io.jvmm.api.device.LineInterrupt;
import io.jvmm.api.device.PollDevice;
import io.jvmm.api.device.PortIoIntercept;
import io.jvmm.api.device.SaveRestore;
import io.jvmm.api.device.SavedStateBlob;
import io.jvmm.api.device.VmClock;
import java.util.List;
import java.time.Duration;
import java.time.Instant;

/**
 * An MC146818-compatible real-time clock with 128 bytes of CMOS RAM behind an index port (0x70,
 * bit 7 = NMI mask) and a data port (0x71).
 *
 * <p>Time is not stored as register values: the guest's time is the host's wall-clock time plus
 * the configured UTC offset plus an offset the guest sets by writing time registers, and the
 * registers are computed from it on every read (in BCD or binary, 12- or 24-hour form as register
 * B says). While SET is 1, or the divider is held in reset, the clock stands still at a frozen
 * time; leaving that state turns the frozen time back into an offset. The wall clock is sampled
 * when the device is built and when the VM starts; in between it advances with the VM clock, so
 * register reads allocate nothing.
 *
 * <p>Interrupt flags (register C) are computed lazily from the clocks whenever register C is read
 * or the device is polled; the poll also drives IRQ 8 (level = IRQF) and arms a timer for the next
 * periodic or update event, so interrupts fire without the guest reading anything.
 *
 * <p>Not modelled: square-wave output (SQWE is stored only), daylight-saving adjustment (DSE is
 * stored only), the day-of-week register (derived from the date; writes are ignored).
 */
final class CmosRtcDevice
        implements ChipsetDevice, PortIoIntercept, DeviceLifecycle, SaveRestore {
    /** One region: the index port 0x70 and the data port 0x71. */
    static final List<IoRegion> REGIONS = List.of(new IoRegion("rtc", CmosRtcResolver.INDEX_PORT, 2));
    static final int INDEX_OFFSET = 0;
    static final int DATA_OFFSET = 1;

    private final Capabilities capabilities = Capabilities.builder()
            .portIo(this).pollDevice(this::pollTimers).lifecycle(this).savedState(this)
            .acpiNode(ACPI_NODE).build();
    /** The RTC as an ACPI node ({@code PNP0B00}: its ports and IRQ 8), for Linux's rtc_cmos to bind through PNP. */
    static final AcpiNode ACPI_NODE = new AcpiNode("RTC_", "PNP0B00", 0, List.of(CmosRtcResolver.IRQ));

    @Override
    public Capabilities capabilities() {
        return capabilities;
    }

    static final int RAM_SIZE = 128;

    // Clock register indexes.
    static final int SECONDS = 0x00;
    static final int SECONDS_ALARM = 0x01;
    static final int MINUTES = 0x02;
    static final int MINUTES_ALARM = 0x03;
    static final int HOURS = 0x04;
    static final int HOURS_ALARM = 0x05;
    static final int DAY_OF_WEEK = 0x06;
    static final int DAY_OF_MONTH = 0x07;
    static final int MONTH = 0x08;
    static final int YEAR = 0x09;
    static final int REG_A = 0x0A;
    static final int REG_B = 0x0B;
    static final int REG_C = 0x0C;
    static final int REG_D = 0x0D;
    static final int CENTURY = 0x32;

    // Register A.
    static final int A_UIP = 0x80;
    static final int A_DIVIDER = 0x70;
    static final int A_RATE = 0x0F;
    /** Divider 010 (32.768 kHz time base, running) and rate 0110 (1024 Hz). */
    static final int A_POWER_ON = 0x26;

    // Register B.
    static final int B_SET = 0x80;
    static final int B_PIE = 0x40;
    static final int B_AIE = 0x20;
    static final int B_UIE = 0x10;
    static final int B_SQWE = 0x08;
    static final int B_DM_BINARY = 0x04;
    static final int B_24H = 0x02;
    static final int B_DSE = 0x01;
    /** 24-hour mode, BCD, no interrupts. */
    static final int B_POWER_ON = B_24H;

    // Register C.
    static final int C_IRQF = 0x80;
    static final int C_PF = 0x40;
    static final int C_AF = 0x20;
    static final int C_UF = 0x10;

    /** Register D: valid RAM and time, always. */
    static final int D_VRT = 0x80;

    /** An alarm register with both top bits set matches any value. */
    static final int ALARM_DONT_CARE = 0xC0;
    /** UIP rises this long before each update. */
    static final long UIP_WINDOW_NANOS = 244_000L;

    // Memory-size bytes (low byte first).
    static final int EXT_MEM_KB = 0x30;
    static final int EXT_MEM_ABOVE_16M = 0x34;
    static final int MEM_ABOVE_4G = 0x5B;
    /** Start of the 32-bit MMIO hole; RAM beyond it is remapped above 4 GiB. */
    static final long MMIO_HOLE_START = 0xC000_0000L;

    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    private static final long TICKS_PER_SECOND = 32_768L;

    private final String name;
    private final long memoryBytes;
    private final long configOffsetNanos;
    private final LineInterrupt line;
    private final VmClock clock;
    private final DeviceWaker waker;
    private final DateFields fields = new DateFields();
    /** The poll work, as a method reference. */

    /** RAM, including registers A and B and the alarm registers; time registers are computed. */
    private final byte[] ram = new byte[RAM_SIZE];
    private int index;
    private boolean nmiMasked;
    /** PF, AF, UF; IRQF is derived from these and the enables. */
    private int flags;

    /** Host wall-clock nanos minus VM-clock nanos, sampled at build and start. */
    private long wallMinusMono;
    /** What the guest set, relative to host time plus the configured offset. */
    private long guestOffsetNanos;
    /** SET or divider reset: the time stands still at {@link #frozenNanos}. */
    private boolean halted;
    private long frozenNanos;
    /** VM-clock and guest-time instants up to which flags have been computed. */
    private long lastMono;
    private long lastGuest;

    CmosRtcDevice(String name, long memoryBytes, long configOffsetNanos, LineInterrupt line,
            VmClock clock, DeviceWaker waker) {
        this.name = name;
        this.memoryBytes = memoryBytes;
        this.configOffsetNanos = configOffsetNanos;
        this.line = line;
        this.clock = clock;
        this.waker = waker;
        anchorWallClock();
        apply(CmosRtcState.initial(memoryBytes, configOffsetNanos));
    }

    private void anchorWallClock() {
        Instant wall = clock.wallTime();
        long mono = clock.nanos();
        wallMinusMono = wall.getEpochSecond() * NANOS_PER_SECOND + wall.getNano() - mono;
    }

    /**
     * Fills the memory-size bytes firmware reads: 0x30/0x31 KiB above 1 MiB (at most 0xFFFF),
     * 0x34/0x35 64-KiB units between 16 MiB and the MMIO hole, 0x5B-0x5D 64-KiB units above
     * 4 GiB. Zero memory leaves them zero.
     */
    static void writeMemorySize(byte[] ram, long memoryBytes) {
        long below4g = Math.min(memoryBytes, MMIO_HOLE_START);
        long above4g = memoryBytes - below4g;
        long extKb = Math.min(Math.max(below4g - (1L << 20), 0) / 1024, 0xFFFF);
        long ext64k = Math.min(Math.max(below4g - (16L << 20), 0) / 65_536, 0xFFFF);
        long high64k = Math.min(above4g / 65_536, 0xFF_FFFF);
        putLittle(ram, EXT_MEM_KB, 2, extKb);
        putLittle(ram, EXT_MEM_ABOVE_16M, 2, ext64k);
        putLittle(ram, MEM_ABOVE_4G, 3, high64k);
    }

    private static void putLittle(byte[] ram, int at, int bytes, long value) {
        for (int i = 0; i < bytes; i++) {
            ram[at + i] = (byte) (value >>> (8 * i));
        }
    }

    // --- time --------------------------------------------------------------------------------

    private long runningGuestNanos(long mono) {
        return mono + wallMinusMono + configOffsetNanos + guestOffsetNanos;
    }

    private long guestNanos(long mono) {
        return halted ? frozenNanos : runningGuestNanos(mono);
    }

    /** Makes the guest's clock show {@code guestNanos} now; no update event is owed for the jump. */
    private void setGuestNanos(long mono, long guestNanos) {
        if (halted) {
            frozenNanos = guestNanos;
        } else {
            guestOffsetNanos = guestNanos - (mono + wallMinusMono + configOffsetNanos);
        }
        lastGuest = guestNanos;
    }

    private int regA() {
        return ram[REG_A] & 0xFF;
    }

    private int regB() {
        return ram[REG_B] & 0xFF;
    }

    /** Divider 110 or 111: the chain is held in reset. */
    private boolean dividerInReset() {
        return (regA() & 0x60) == 0x60;
    }

    private boolean shouldHalt() {
        return (regB() & B_SET) != 0 || dividerInReset();
    }

    private boolean updateInProgress(long mono) {
        return !halted
                && Math.floorMod(runningGuestNanos(mono), NANOS_PER_SECOND)
                        >= NANOS_PER_SECOND - UIP_WINDOW_NANOS;
    }

    /** 32.768 kHz ticks of the VM clock (the divider chain runs on VM time). */
    static long ticks32k(long nanos) {
        return Math.floorDiv(nanos, NANOS_PER_SECOND) * TICKS_PER_SECOND
                + Math.floorMod(nanos, NANOS_PER_SECOND) * TICKS_PER_SECOND / NANOS_PER_SECOND;
    }

    /** VM-clock nanos at which tick {@code tick} starts (the first nanosecond with that count). */
    static long nanosOfTick(long tick) {
        long seconds = Math.floorDiv(tick, TICKS_PER_SECOND);
        long rest = Math.floorMod(tick, TICKS_PER_SECOND);
        return seconds * NANOS_PER_SECOND + (rest * NANOS_PER_SECOND + TICKS_PER_SECOND - 1) / TICKS_PER_SECOND;
    }

    /**
     * Periodic-interrupt period in 32.768 kHz ticks: 2^(rate-1) for rates 3..15; rates 1 and 2
     * give 3.90625 ms and 7.8125 ms (as for rates 8 and 9) on a 32.768 kHz time base; 0 = off.
     */
    static long periodTicks(int rate) {
        switch (rate) {
            case 0: return 0;
            case 1: return 128;
            case 2: return 256;
            default: return 1L << (rate - 1);
        }
    }

    /** Brings PF, UF and AF up to {@code mono}. */
    private void evaluate(long mono) {
        long period = periodTicks(regA() & A_RATE);
        if (period != 0 && !dividerInReset()
                && Math.floorDiv(ticks32k(mono), period) > Math.floorDiv(ticks32k(lastMono), period)) {
            flags |= C_PF;
        }
        lastMono = mono;
        if (!halted) {
            long now = runningGuestNanos(mono);
            long from = Math.floorDiv(lastGuest, NANOS_PER_SECOND);
            long to = Math.floorDiv(now, NANOS_PER_SECOND);
            if (to > from) {
                flags |= C_UF;
                if ((flags & C_AF) == 0) {
                    // Any time-of-day alarm recurs within a day, so a day of updates is enough.
                    for (long s = Math.max(from + 1, to - 86_399); s <= to; s++) {
                        if (alarmMatches(s)) {
                            flags |= C_AF;
                            break;
                        }
                    }
                }
            }
            lastGuest = now;
        }
    }

    private boolean alarmMatches(long epochSecond) {
        int second = (int) Math.floorMod(epochSecond, 60L);
        int minute = (int) Math.floorMod(Math.floorDiv(epochSecond, 60L), 60L);
        int hour = (int) Math.floorMod(Math.floorDiv(epochSecond, 3600L), 24L);
        return alarmField(SECONDS_ALARM, encode(second))
                && alarmField(MINUTES_ALARM, encode(minute))
                && alarmField(HOURS_ALARM, encodeHours(hour));
    }

    private boolean alarmField(int register, int encodedNow) {
        int alarm = ram[register] & 0xFF;
        return (alarm & ALARM_DONT_CARE) == ALARM_DONT_CARE || alarm == encodedNow;
    }

    private boolean irqf() {
        int b = regB();
        return ((flags & C_PF) != 0 && (b & B_PIE) != 0)
                || ((flags & C_AF) != 0 && (b & B_AIE) != 0)
                || ((flags & C_UF) != 0 && (b & B_UIE) != 0);
    }

    private void updateLine() {
        line.setLevel(irqf());
    }

    // --- register encoding -------------------------------------------------------------------

    private boolean binary() {
        return (regB() & B_DM_BINARY) != 0;
    }

    private int encode(int value) {
        return binary() ? value : (value / 10) << 4 | value % 10;
    }

    private int decode(int raw) {
        return binary() ? raw : (raw >>> 4) * 10 + (raw & 0x0F);
    }

    private int encodeHours(int hour24) {
        if ((regB() & B_24H) != 0) {
            return encode(hour24);
        }
        int h12 = hour24 % 12 == 0 ? 12 : hour24 % 12;
        return encode(h12) | (hour24 >= 12 ? 0x80 : 0);
    }

    private int decodeHours(int raw) {
        if ((regB() & B_24H) != 0) {
            return clamp(decode(raw), 0, 23);
        }
        int h12 = clamp(decode(raw & 0x7F), 1, 12);
        return h12 % 12 + ((raw & 0x80) != 0 ? 12 : 0);
    }

    private static int clamp(int v, int lo, int hi) {
        return Math.max(lo, Math.min(hi, v));
    }

    // --- register access ---------------------------------------------------------------------

    int readRegister(int register) {
        switch (register) {
            case SECONDS, MINUTES, HOURS, DAY_OF_WEEK, DAY_OF_MONTH, MONTH, YEAR, CENTURY:
                return readTime(register);
            case REG_A:
                return (regA() & ~A_UIP) | (updateInProgress(clock.nanos()) ? A_UIP : 0);
            case REG_C:
                return readAndClearFlags();
            case REG_D:
                return D_VRT;
            default:
                return ram[register] & 0xFF;
        }
    }

    private int readTime(int register) {
        fields.setEpochSeconds(Math.floorDiv(guestNanos(clock.nanos()), NANOS_PER_SECOND));
        switch (register) {
            case SECONDS: return encode(fields.second);
            case MINUTES: return encode(fields.minute);
            case HOURS: return encodeHours(fields.hour);
            case DAY_OF_WEEK: return encode(fields.dayOfWeek);
            case DAY_OF_MONTH: return encode(fields.day);
            case MONTH: return encode(fields.month);
            case YEAR: return encode(Math.floorMod(fields.year, 100));
            default: return encode(clamp(Math.floorDiv(fields.year, 100), 0, 99));
        }
    }

    private int readAndClearFlags() {
        evaluate(clock.nanos());
        int value = flags | (irqf() ? C_IRQF : 0);
        flags = 0;
        updateLine();
        if ((regB() & (B_PIE | B_AIE | B_UIE)) != 0) {
            waker.wake(); // re-arm the timer for the next event
        }
        return value;
    }

    void writeRegister(int register, int value) {
        switch (register) {
            case SECONDS, MINUTES, HOURS, DAY_OF_MONTH, MONTH, YEAR, CENTURY -> writeTime(register, value);
            case DAY_OF_WEEK, REG_C, REG_D -> { } // derived or read-only
            case REG_A -> writeControl(REG_A, value & ~A_UIP);
            case REG_B -> writeControl(REG_B, (value & B_SET) != 0 ? value & ~B_UIE : value);
            default -> ram[register] = (byte) value;
        }
    }

    private void writeTime(int register, int raw) {
        long mono = clock.nanos();
        evaluate(mono);
        fields.setEpochSeconds(Math.floorDiv(guestNanos(mono), NANOS_PER_SECOND));
        switch (register) {
            case SECONDS -> fields.second = clamp(decode(raw), 0, 59);
            case MINUTES -> fields.minute = clamp(decode(raw), 0, 59);
            case HOURS -> fields.hour = decodeHours(raw);
            case DAY_OF_MONTH -> fields.day = clamp(decode(raw), 1, 31);
            case MONTH -> fields.month = clamp(decode(raw), 1, 12);
            case YEAR -> fields.year = Math.floorDiv(fields.year, 100) * 100 + clamp(decode(raw), 0, 99);
            default -> fields.year = clamp(decode(raw), 0, 99) * 100 + Math.floorMod(fields.year, 100);
        }
        // The written second starts now.
        setGuestNanos(mono, fields.toEpochSeconds() * NANOS_PER_SECOND);
    }

    private void writeControl(int register, int value) {
        long mono = clock.nanos();
        evaluate(mono);
        boolean dividerWasReset = dividerInReset();
        ram[register] = (byte) value;
        if (dividerWasReset && !dividerInReset()) {
            // The first update comes half a second after the divider leaves reset.
            long t = guestNanos(mono);
            long halfway = Math.floorDiv(t, NANOS_PER_SECOND) * NANOS_PER_SECOND + NANOS_PER_SECOND / 2;
            if (halted) {
                frozenNanos = halfway;
            }
        }
        boolean halt = shouldHalt();
        if (halt && !halted) {
            frozenNanos = runningGuestNanos(mono);
            halted = true;
        } else if (!halt && halted) {
            halted = false;
            setGuestNanos(mono, frozenNanos);
        }
        updateLine();
        waker.wake(); // enables or rates may have changed: let poll re-arm its timer
    }

    @Override
    public List<IoRegion> pioRegions() {
        return REGIONS;
    }

    /** Byte {@code i} of an access at {@code offset} reaches port 0x70 + offset + i; past 0x71 is nothing. */
    @Override
    public IoResult ioRead(int region, int offset, byte[] data) {
        for (int i = 0; i < data.length; i++) {
            int p = offset + i;
            int v;
            if (p == INDEX_OFFSET) {
                v = index | (nmiMasked ? 0x80 : 0);
            } else if (p == DATA_OFFSET) {
                v = readRegister(index);
            } else {
                v = 0xFF;
            }
            data[i] = (byte) v;
        }
        return IoResult.OK;
    }

    @Override
    public IoResult ioWrite(int region, int offset, byte[] data) {
        for (int i = 0; i < data.length; i++) {
            int p = offset + i;
            int v = data[i] & 0xFF;
            if (p == INDEX_OFFSET) {
                index = v & 0x7F;
                nmiMasked = (v & 0x80) != 0;
            } else if (p == DATA_OFFSET) {
                writeRegister(index, v);
            }
        }
        return IoResult.OK;
    }

    /** Whether the guest has masked NMIs through bit 7 of the index port. */
    boolean nmiMasked() {
        return nmiMasked;
    }

    // --- poll and lifecycle ------------------------------------------------------------------

    /** Brings the flags and IRQ 8 up to date and arms the timer for the next event. */
    void pollTimers() {
        long mono = clock.nanos();
        evaluate(mono);
        updateLine();
        if (irqf()) {
            return; // the line stays high until register C is read, and that read wakes us
        }
        int b = regB();
        long delay = Long.MAX_VALUE;
        long period = periodTicks(regA() & A_RATE);
        if ((b & B_PIE) != 0 && period != 0 && !dividerInReset()) {
            long next = (Math.floorDiv(ticks32k(mono), period) + 1) * period;
            delay = nanosOfTick(next) - mono;
        }
        if ((b & (B_UIE | B_AIE)) != 0 && !halted) {
            delay = Math.min(delay, NANOS_PER_SECOND
                    - Math.floorMod(runningGuestNanos(mono), NANOS_PER_SECOND));
        }
        if (delay != Long.MAX_VALUE) {
            waker.wakeAfter(Duration.ofNanos(Math.max(delay, 1)));
        }
    }

    @Override
    public void start() {
        // Follow the host's wall clock across pauses; the guest's own offset is kept.
        anchorWallClock();
        waker.wake();
    }

    /**
     * The RTC is battery-backed: time, the guest's offset and the RAM survive; the control
     * registers and the flags return to their power-on values ({@link CmosRtcState#atPowerOn}), and
     * a clock that SET or the divider had stopped runs again from where it stood.
     */
    @Override
    public void reset() {
        long mono = clock.nanos();
        if (halted) {
            halted = false;
            setGuestNanos(mono, frozenNanos);
        }
        apply(capture().atPowerOn(memoryBytes));
    }

    // --- saved state -------------------------------------------------------------------------

    /**
     * Brings the flags and IRQ 8 up to now first, as a poll would: the state then owes no event, and
     * the original and a copy restored from it drive the line alike.
     */
    @Override
    public SavedStateBlob save() {
        evaluate(clock.nanos());
        updateLine();
        return CmosRtcState.FORMAT.save(capture());
    }

    /** Decodes and checks all of {@code blob} first: a bad blob throws and changes nothing. */
    @Override
    public void restore(SavedStateBlob blob) {
        apply(CmosRtcState.FORMAT.restore(blob));
    }

    CmosRtcState capture() {
        return new CmosRtcState(index, nmiMasked, ram.clone(), flags, configOffsetNanos + guestOffsetNanos,
                frozenNanos);
    }

    /**
     * Makes {@code s} the state: the guest's clock runs at host time plus the saved offset (or
     * stands at the frozen time, if register A or B stops it), the flags count from now on, IRQ 8
     * follows the flags, and the poll is woken to arm its timer.
     */
    private void apply(CmosRtcState s) {
        index = s.index();
        nmiMasked = s.nmiMasked();
        System.arraycopy(s.ram(), 0, ram, 0, RAM_SIZE);
        flags = s.flags();
        guestOffsetNanos = s.guestMinusHostNanos() - configOffsetNanos;
        frozenNanos = s.frozenNanos();
        halted = shouldHalt();
        long mono = clock.nanos();
        lastMono = mono;
        lastGuest = guestNanos(mono);
        updateLine();
        waker.wake();
    }
}
