package io.jvmm.api.battery;

/**
 * The host battery's state, as the battery device reports it.
 *
 * @param present a battery is installed
 * @param charging the battery is charging
 * @param discharging the battery is discharging
 * @param rateMilliwatts charge or discharge rate
 * @param remainingMilliwattHours remaining capacity
 * @param maxMilliwattHours full-charge capacity
 * @param acOnline mains power is connected
 */
public record HostBatteryUpdate(boolean present, boolean charging, boolean discharging,
        long rateMilliwatts, long remainingMilliwattHours, long maxMilliwattHours, boolean acOnline) {

    /** No battery, no AC. */
    public static final HostBatteryUpdate ABSENT = new HostBatteryUpdate(false, false, false, 0, 0, 0, false);

    public HostBatteryUpdate {
        if (rateMilliwatts < 0 || remainingMilliwattHours < 0 || maxMilliwattHours < 0) {
            throw new IllegalArgumentException("battery rate and capacities must not be negative");
        }
    }

    /** OpenVMM's default present battery: charging at 1 mW, 950 of 1000 mWh, AC online (95%). */
    public static HostBatteryUpdate defaultPresent() {
        return new HostBatteryUpdate(true, true, false, 1, 950, 1000, true);
    }
}
