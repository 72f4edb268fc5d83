package io.jvmm.dev.cmosrtc;

import static io.jvmm.dev.cmosrtc.CmosRtcDevice.*;

import io.jvmm.api.support.StateFormat;

/**
 * Everything a guest can observe of the RTC, as one value: the index port (with the NMI mask), the
 * 128 bytes of RAM (registers A and B, the alarms, the memory sizes and whatever the guest stored;
 * the time registers are computed, not stored), the pending interrupt flags, and the guest's time.
 * The compact constructor holds the state's rules; {@link #initial} is the first power-on, {@link
 * #atPowerOn} what a reset keeps (the battery-backed time and RAM) and resets (the control
 * registers, the flags); {@link #FORMAT} is how it is saved ({@code chipset.cmos_rtc}, version 2:
 * version 1 was a hand-written byte layout, no longer read). IRQ 8 is not stored: it is high while
 * an enabled flag is set.
 *
 * <p>The guest's time is kept relative to the host's wall clock ({@code guestMinusHostNanos}): a
 * restored RTC, in another process, at another time, shows the host's time plus the same offset,
 * as the guest's clock would have continued on the host, whatever UTC offset the new run is
 * configured with. While SET is 1 or the divider is held in reset, the clock stands still at
 * {@code frozenNanos} (the guest's time in nanoseconds since the epoch).
 *
 * @param index the CMOS index (bits 0-6 of port 0x70)
 * @param flags PF, AF and UF of register C (IRQF follows from them and register B's enables)
 */
record CmosRtcState(int index, boolean nmiMasked, byte[] ram, int flags, long guestMinusHostNanos,
        long frozenNanos) {
    static final StateFormat<CmosRtcState> FORMAT = StateFormat.of("chipset.cmos_rtc", 2, 2,
            (s, out) -> out.u8("index", s.index).bool("nmi_masked", s.nmiMasked).bytes("ram", s.ram)
                    .u8("flags", s.flags).i64("guest_minus_host_nanos", s.guestMinusHostNanos)
                    .i64("frozen_nanos", s.frozenNanos),
            in -> {
                return new CmosRtcState(in.u8("index"), in.bool("nmi_masked"), in.bytes("ram", RAM_SIZE),
                        in.u8("flags"), in.i64("guest_minus_host_nanos"), in.i64("frozen_nanos"));
            });

    CmosRtcState {
        if ((index & ~0x7F) != 0) {
            throw new IllegalArgumentException("RTC state: index 0x" + Integer.toHexString(index) + " beyond 0x7f");
        }
        if (ram.length != RAM_SIZE) {
            throw new IllegalArgumentException("RTC state: RAM of " + ram.length + " bytes, expected " + RAM_SIZE);
        }
        if ((flags & ~(C_PF | C_AF | C_UF)) != 0) {
            throw new IllegalArgumentException("RTC state: flags 0x" + Integer.toHexString(flags)
                    + " beyond PF, AF and UF");
        }
        if ((ram[REG_A] & A_UIP) != 0) {
            throw new IllegalArgumentException("RTC state: register A has UIP stored (it is computed)");
        }
        if ((ram[REG_B] & B_SET) != 0 && (ram[REG_B] & B_UIE) != 0) {
            throw new IllegalArgumentException("RTC state: register B has both SET and UIE (writing SET clears UIE)");
        }
        ram = ram.clone();
    }

    /** The first power-on: RAM empty but the memory sizes, the guest's clock at host time plus the configured offset. */
    static CmosRtcState initial(long memoryBytes, long configOffsetNanos) {
        return new CmosRtcState(0, false, new byte[RAM_SIZE], 0, configOffsetNanos, 0).atPowerOn(memoryBytes);
    }

    /**
     * This state after a reset: registers A and B, the index, the NMI mask and the flags at their
     * power-on values and the memory sizes rewritten; the rest of RAM and the time are battery-backed
     * and stay (a clock stopped by SET runs again from where it stood: the caller passes it running).
     */
    CmosRtcState atPowerOn(long memoryBytes) {
        byte[] r = ram.clone();
        r[REG_A] = A_POWER_ON;
        r[REG_B] = B_POWER_ON;
        writeMemorySize(r, memoryBytes);
        return new CmosRtcState(0, false, r, 0, guestMinusHostNanos, frozenNanos);
    }

    @Override
    public byte[] ram() {
        return ram.clone();
    }
}
