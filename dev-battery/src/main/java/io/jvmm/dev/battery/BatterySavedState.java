package io.jvmm.dev.battery;

import io.jvmm.api.battery.HostBatteryUpdate;
import io.jvmm.api.support.StateFormat;

/**
 * Everything a guest can observe of the battery, as one value: the battery state its registers
 * show and the pending notification bits. The compact constructor holds the state's rules (and
 * reports a present battery without a full capacity as absent, as the device does with a host
 * update); {@link #initial} is the power-on state; {@link #FORMAT} is how it is saved ({@code
 * firmware.battery}, version 2: version 1 was a hand-written byte layout, no longer read). The
 * notification line is not stored: it is high while a notification bit is set. The host's
 * newest battery state is not part of it: the battery source of the restored VM delivers its own.
 *
 * @param notifyBits {@link BatteryDevice#NOTIFY_MASK} bits the guest has not cleared
 */
record BatterySavedState(int notifyBits, HostBatteryUpdate state) {
    static final StateFormat<BatterySavedState> FORMAT = StateFormat.of("firmware.battery", 2, 2,
            (s, out) -> {
                HostBatteryUpdate b = s.state;
                out.u8("notify", s.notifyBits).bool("present", b.present()).bool("charging", b.charging())
                        .bool("discharging", b.discharging()).bool("ac_online", b.acOnline())
                        .i64("rate_mw", b.rateMilliwatts()).i64("remaining_mwh", b.remainingMilliwattHours())
                        .i64("max_mwh", b.maxMilliwattHours());
            },
            in -> {
                return new BatterySavedState(in.u8("notify"), new HostBatteryUpdate(in.bool("present"),
                        in.bool("charging"), in.bool("discharging"), in.i64("rate_mw"), in.i64("remaining_mwh"),
                        in.i64("max_mwh"), in.bool("ac_online")));
            });

    BatterySavedState {
        if ((notifyBits & ~BatteryDevice.NOTIFY_MASK) != 0) {
            throw new IllegalArgumentException("battery state: notify bits 0x" + Integer.toHexString(notifyBits)
                    + " are outside mask 0x" + Integer.toHexString(BatteryDevice.NOTIFY_MASK));
        }
        state = BatteryDevice.normalize(java.util.Objects.requireNonNull(state, "state"));
    }

    /** Power-on: no battery, no notification pending. */
    static BatterySavedState initial() {
        return new BatterySavedState(0, HostBatteryUpdate.ABSENT);
    }
}
