package io.jvmm.dev.battery;

import io.jvmm.api.battery.HostBatteryUpdate;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A source's current state and its subscribers. One lock orders subscribing and publishing, so a
 * new subscriber never sees an older state after a newer one. Consumers must not block.
 */
final class Subscribers {
    private final Object lock = new Object();
    private final List<Consumer<HostBatteryUpdate>> consumers = new ArrayList<>();
    private HostBatteryUpdate current;
    private boolean closed;

    Subscribers(HostBatteryUpdate initial) {
        this.current = initial;
    }

    /** Adds the consumer and hands it the current state, if there is one. */
    void subscribe(Consumer<HostBatteryUpdate> consumer) {
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("battery source is closed");
            }
            consumers.add(consumer);
            if (current != null) {
                consumer.accept(current);
            }
        }
    }

    /**
     * Makes {@code state} current and delivers it; with {@code onlyIfChanged}, an equal state is
     * dropped. Returns whether it was delivered.
     */
    boolean publish(HostBatteryUpdate state, boolean onlyIfChanged) {
        synchronized (lock) {
            if (closed || (onlyIfChanged && state.equals(current))) {
                return false;
            }
            current = state;
            for (Consumer<HostBatteryUpdate> c : consumers) {
                c.accept(state);
            }
            return true;
        }
    }

    HostBatteryUpdate current() {
        synchronized (lock) {
            return current;
        }
    }

    void close() {
        synchronized (lock) {
            closed = true;
            consumers.clear();
        }
    }
}
