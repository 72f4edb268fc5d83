package io.jvmm.dev.battery;

import io.jvmm.api.battery.BatterySource;
import io.jvmm.api.battery.HostBatteryUpdate;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Passes the host's batteries through: reads the {@code power_supply} tree once when created
 * (so subscribers get a state at once), then every interval on a daemon thread, and delivers a
 * state only when it differs from the previous one.
 */
final class HostBatterySource implements BatterySource {
    private static final System.Logger LOG = System.getLogger(HostBatterySource.class.getName());

    private final Path root;
    private final Subscribers subscribers;
    private final ScheduledExecutorService timer;

    HostBatterySource(Path root, Duration interval) {
        this(root, interval, Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "jvmm-host-battery");
            t.setDaemon(true); // never keeps the VMM alive
            return t;
        }));
    }

    /** With the executor that polls (which {@link #close()} shuts down); for tests. */
    HostBatterySource(Path root, Duration interval, ScheduledExecutorService timer) {
        this.root = Objects.requireNonNull(root, "root");
        this.timer = Objects.requireNonNull(timer, "timer");
        HostBatteryUpdate first = SysfsPowerSupply.read(root);
        LOG.log(System.Logger.Level.DEBUG, () -> "host battery (" + root + "): " + first);
        this.subscribers = new Subscribers(first);
        long millis = interval.toMillis();
        timer.scheduleWithFixedDelay(this::refresh, millis, millis, TimeUnit.MILLISECONDS);
    }

    /** Reads the tree once and delivers the state if it changed. Returns whether it did. */
    boolean refresh() {
        try {
            HostBatteryUpdate now = SysfsPowerSupply.read(root);
            boolean changed = subscribers.publish(now, true);
            if (changed) {
                LOG.log(System.Logger.Level.DEBUG, () -> "host battery changed: " + now);
            }
            return changed;
        } catch (RuntimeException e) {
            // An exception would silently cancel the periodic task; keep polling instead.
            LOG.log(System.Logger.Level.WARNING, "host battery: reading " + root + " failed: " + e);
            return false;
        }
    }

    @Override
    public void subscribe(Consumer<HostBatteryUpdate> consumer) {
        subscribers.subscribe(Objects.requireNonNull(consumer, "consumer"));
    }

    HostBatteryUpdate current() {
        return subscribers.current();
    }

    @Override
    public void close() {
        timer.shutdownNow();
        subscribers.close();
    }
}
