package io.jvmm.dev.battery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.battery.HostBatteryUpdate;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fixed (updatable) and host battery sources. */
class BatterySourcesTest {
    private static final HostBatteryUpdate HALF = new HostBatteryUpdate(true, true, false, 40, 50, 100, true);
    private static final HostBatteryUpdate LOW = new HostBatteryUpdate(true, false, true, 45, 10, 100, false);

    @Test
    void fixedDeliversItsStateOnSubscribe() {
        try (FixedBatterySource s = new FixedBatterySource(HALF)) {
            List<HostBatteryUpdate> got = new CopyOnWriteArrayList<>();
            s.subscribe(got::add);
            assertEquals(List.of(HALF), got);
            assertEquals(HALF, s.current());
        }
    }

    @Test
    void fixedUpdatesReachEverySubscriberAndLaterSubscribersSeeTheNewState() {
        try (FixedBatterySource s = new FixedBatterySource(HostBatteryUpdate.ABSENT)) {
            List<HostBatteryUpdate> a = new CopyOnWriteArrayList<>();
            List<HostBatteryUpdate> b = new CopyOnWriteArrayList<>();
            s.subscribe(a::add);
            s.subscribe(b::add);
            s.update(LOW);
            s.update(LOW); // an explicit push is delivered even when equal
            assertEquals(List.of(HostBatteryUpdate.ABSENT, LOW, LOW), a);
            assertEquals(a, b);
            List<HostBatteryUpdate> c = new CopyOnWriteArrayList<>();
            s.subscribe(c::add);
            assertEquals(List.of(LOW), c);
            assertEquals(LOW, s.current());
        }
    }

    @Test
    void closedFixedSourceDeliversNothing() {
        FixedBatterySource s = new FixedBatterySource(HALF);
        List<HostBatteryUpdate> got = new CopyOnWriteArrayList<>();
        s.subscribe(got::add);
        s.close();
        s.update(LOW);
        assertEquals(List.of(HALF), got);
        assertThrows(IllegalStateException.class, () -> s.subscribe(got::add));
    }

    private static void battery(Path root, String status, String energyNow) throws IOException {
        SysfsPowerSupplyTest.supply(root, "BAT0", Map.of("type", "Battery", "status", status,
                "power_now", "4000000", "energy_now", energyNow, "energy_full", "50000000"));
    }

    @Test
    void hostSourceDeliversOnSubscribeAndOnlyChanges(@TempDir Path root) throws IOException {
        SysfsPowerSupplyTest.mains(root, true);
        battery(root, "Charging", "25000000");
        // a long interval: the test drives refresh() itself
        try (HostBatterySource s = new HostBatterySource(root, Duration.ofHours(1))) {
            List<HostBatteryUpdate> got = new CopyOnWriteArrayList<>();
            s.subscribe(got::add);
            HostBatteryUpdate first = new HostBatteryUpdate(true, true, false, 4000, 25000, 50000, true);
            assertEquals(List.of(first), got);

            assertFalse(s.refresh(), "unchanged tree: nothing delivered");
            assertEquals(1, got.size());

            SysfsPowerSupplyTest.mains(root, false);
            battery(root, "Discharging", "24000000");
            assertTrue(s.refresh());
            assertEquals(new HostBatteryUpdate(true, false, true, 4000, 24000, 50000, false), got.get(1));
            assertFalse(s.refresh());
            assertEquals(2, got.size());
        }
    }

    @Test
    void hostSourcePollsOnItsOwnDaemonThread(@TempDir Path root) throws Exception {
        battery(root, "Charging", "25000000");
        try (HostBatterySource s = new HostBatterySource(root, Duration.ofMillis(20))) {
            LinkedBlockingQueue<HostBatteryUpdate> got = new LinkedBlockingQueue<>();
            List<String> threads = new CopyOnWriteArrayList<>();
            s.subscribe(u -> {
                threads.add(Thread.currentThread().getName());
                got.add(u);
            });
            assertEquals(25000, got.take().remainingMilliwattHours());
            battery(root, "Charging", "26000000");
            HostBatteryUpdate next = got.poll(10, TimeUnit.SECONDS);
            assertEquals(26000, next == null ? -1 : next.remainingMilliwattHours(), "poll thread saw no change");
            assertEquals("jvmm-host-battery", threads.get(1));
        }
    }

    @Test
    void closedHostSourceStopsPolling(@TempDir Path root) throws Exception {
        battery(root, "Charging", "25000000");
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        HostBatterySource s = new HostBatterySource(root, Duration.ofMillis(10), timer);
        List<HostBatteryUpdate> got = new CopyOnWriteArrayList<>();
        s.subscribe(got::add);
        s.close();
        // Once the timer has terminated no poll is running and none will run.
        assertTrue(timer.isShutdown(), "close() shuts the poll timer down");
        assertTrue(timer.awaitTermination(10, TimeUnit.SECONDS), "the poll timer ended");
        battery(root, "Discharging", "1000000");
        assertFalse(s.refresh(), "a closed source delivers nothing, even on a change");
        assertEquals(List.of(new HostBatteryUpdate(true, true, false, 4000, 25000, 50000, false)), got,
                "only the state delivered on subscribe");
    }
}
