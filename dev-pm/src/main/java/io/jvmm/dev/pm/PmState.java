package io.jvmm.dev.pm;

import static io.jvmm.dev.pm.PowerManagementDevice.*;

import io.jvmm.api.support.StateFormat;

/**
 * Everything a guest can observe of the PM block, as one value: the PM1, GPE0 and PIIX4 registers
 * and the PM timer's count. The compact constructor holds the state's rules (only bits a guest
 * write can store); {@link #initial} is the power-on state; {@link #FORMAT} is how it is saved
 * ({@code chipset.pm}, version 2: version 1 was a hand-written byte layout, no longer read). The
 * SCI level is not stored: it is high while an enabled PM1 or GPE0 status bit is set. A host
 * power-button press not yet taken over by the device's poll is not part of the state (the guest
 * has not seen it); it is lost across a snapshot, as across a reset.
 *
 * @param timerNanos VM time the PM timer has counted since power-on: it reads {@code
 *     floor(timerNanos * 3579545 / 1e9)} mod 2^32, and counts on from there (kept in nanoseconds, not
 *     ticks, so a restored timer is not off by the fraction of a tick)
 */
record PmState(int pm1Status, int pm1Enable, int pm1Control, int gpe0Status, int gpe0Enable, int processorControl,
        int globalStatus, int deviceStatus, int globalEnable, int globalControl, int deviceControl,
        int generalOutput, long timerNanos) {
    static final StateFormat<PmState> FORMAT = StateFormat.of("chipset.pm", 2, 2,
            (s, out) -> out.u16("pm1_sts", s.pm1Status).u16("pm1_en", s.pm1Enable).u16("pm1_cnt", s.pm1Control)
                    .u16("gpe0_sts", s.gpe0Status).u16("gpe0_en", s.gpe0Enable)
                    .u32("pcntrl", Integer.toUnsignedLong(s.processorControl)).u16("glbsts", s.globalStatus)
                    .u32("devsts", Integer.toUnsignedLong(s.deviceStatus)).u16("glben", s.globalEnable)
                    .u32("glbctl", Integer.toUnsignedLong(s.globalControl))
                    .u32("devctl", Integer.toUnsignedLong(s.deviceControl))
                    .u32("gpo", Integer.toUnsignedLong(s.generalOutput)).i64("timer_nanos", s.timerNanos),
            in -> {
                return new PmState(in.u16("pm1_sts"), in.u16("pm1_en"), in.u16("pm1_cnt"), in.u16("gpe0_sts"),
                        in.u16("gpe0_en"), (int) in.u32("pcntrl"), in.u16("glbsts"), (int) in.u32("devsts"),
                        in.u16("glben"), (int) in.u32("glbctl"), (int) in.u32("devctl"), (int) in.u32("gpo"),
                        in.i64("timer_nanos"));
            });

    PmState {
        check(pm1Status, 0xFFFF, "PM1 status");
        check(pm1Enable, PM1_EN_MASK, "PM1 enable has bits no write stores");
        check(pm1Control, 0xFFFF & ~PM1_CNT_SLP_EN, "PM1 control has SLP_EN (never stored) or bits beyond 16");
        check(gpe0Status, 0xFFFF, "GPE0 status");
        check(gpe0Enable, GPE0_EN_MASK, "GPE0 enable has bits no write stores");
        check(processorControl, PCNTRL_MASK, "PCNTRL has bits no write stores");
        check(globalStatus, 0xFFFF, "GLBSTS");
        check(globalEnable, GLBEN_MASK, "GLBEN has bits no write stores");
        check(globalControl, GLBCTL_MASK, "GLBCTL has bits no write stores");
        if (timerNanos < 0) {
            throw new IllegalArgumentException("PM state: the timer has counted a negative time, " + timerNanos + " ns");
        }
    }

    /** Power-on in ACPI mode: SCI_EN set (as OpenVMM maps the block at start), GPO at its default, timer at 0. */
    static PmState initial() {
        return new PmState(0, 0, PM1_CNT_SCI_EN, 0, 0, 0, 0, 0, 0, 0, 0, GPO_INITIAL, 0);
    }

    private static void check(int value, int allowed, String what) {
        if ((value & ~allowed) != 0) {
            throw new IllegalArgumentException("PM state: " + what + ": 0x" + Integer.toHexString(value));
        }
    }
}
