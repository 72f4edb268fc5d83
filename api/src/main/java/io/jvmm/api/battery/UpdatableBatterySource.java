package io.jvmm.api.battery;

/**
 * A battery source whose state is set from outside, e.g. by the control socket's
 * {@code battery} command. The {@code fixed} battery source resolves to one.
 */
public interface UpdatableBatterySource extends BatterySource {
    /** Replaces the state and delivers it to every subscriber, on the caller's thread. */
    void update(HostBatteryUpdate state);

    /** The state last set (initially the handle's). */
    HostBatteryUpdate current();
}
