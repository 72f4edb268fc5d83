package io.jvmm.api.battery;

import java.util.function.Consumer;

/** A source of host battery updates. Updates are delivered on the source's own thread. */
public interface BatterySource extends AutoCloseable {
    /**
     * Registers the consumer. The current state, if any, is delivered at once, then every change.
     */
    void subscribe(Consumer<HostBatteryUpdate> consumer);

    @Override
    void close();
}
