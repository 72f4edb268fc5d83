package io.jvmm.dev.battery;

import io.jvmm.api.battery.HostBatteryUpdate;
import io.jvmm.api.battery.UpdatableBatterySource;
import java.util.Objects;
import java.util.function.Consumer;

/** Reports one state, delivered on subscribe, until {@link #update} replaces it. */
final class FixedBatterySource implements UpdatableBatterySource {
    private final Subscribers subscribers;

    FixedBatterySource(HostBatteryUpdate initial) {
        this.subscribers = new Subscribers(Objects.requireNonNull(initial, "initial"));
    }

    @Override
    public void subscribe(Consumer<HostBatteryUpdate> consumer) {
        subscribers.subscribe(Objects.requireNonNull(consumer, "consumer"));
    }

    /** Delivered even when equal to the current state: an explicit push is a notification. */
    @Override
    public void update(HostBatteryUpdate state) {
        subscribers.publish(Objects.requireNonNull(state, "state"), false);
    }

    @Override
    public HostBatteryUpdate current() {
        return subscribers.current();
    }

    @Override
    public void close() {
        subscribers.close();
    }
}
