package io.jvmm.runtime.board;

import static io.jvmm.runtime.board.TestSupport.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.DeviceLifecycle;
import io.jvmm.api.device.PollDevice;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class DeviceRunnerTest {
    private final DeviceRunner runner = new DeviceRunner("test-devices");
    private final List<String> events = new CopyOnWriteArrayList<>();

    @AfterEach
    void close() {
        runner.close();
    }

    /** Counts polls; optionally blocks in a poll until released. */
    private static final class CountingPoll implements PollDevice {
        final AtomicInteger polls = new AtomicInteger();
        volatile CountDownLatch block;
        volatile CountDownLatch entered = new CountDownLatch(1);
        volatile RuntimeException toThrow;

        @Override
        public void poll() {
            polls.incrementAndGet();
            entered.countDown();
            CountDownLatch b = block;
            if (b != null) {
                try {
                    b.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (toThrow != null) {
                throw toThrow;
            }
        }
    }

    private DeviceRunner.Slot slot(String name, PollDevice poll, boolean lifecycle) {
        DeviceRunner.Slot s = runner.addSlot(name, new Object());
        s.bind(poll, lifecycle ? new DeviceLifecycle() {
            @Override
            public void start() {
                events.add("start " + name);
            }

            @Override
            public void stop() {
                events.add("stop " + name);
            }

            @Override
            public void reset() {
                events.add("reset " + name);
            }
        } : null);
        return s;
    }

    @Test
    void pollsOnceOnStartAndNotBefore() throws Exception {
        CountingPoll p = new CountingPoll();
        DeviceRunner.Slot s = slot("uart", p, false);
        s.wake();
        Thread.sleep(50);
        assertEquals(0, p.polls.get(), "never polled before start");
        runner.start();
        assertTrue(eventually(() -> p.polls.get() == 1));
        Thread.sleep(50);
        assertEquals(1, p.polls.get(), "the start poll and the earlier wake coalesce");
    }

    @Test
    void wakesDuringAPollCoalesceIntoOneMorePoll() throws Exception {
        CountingPoll p = new CountingPoll();
        p.block = new CountDownLatch(1);
        DeviceRunner.Slot s = slot("uart", p, false);
        runner.start();
        assertTrue(p.entered.await(5, TimeUnit.SECONDS));
        for (int i = 0; i < 1000; i++) {
            s.wake();
        }
        p.block.countDown();
        assertTrue(eventually(() -> p.polls.get() == 2));
        Thread.sleep(100);
        assertEquals(2, p.polls.get());
        s.wake();
        assertTrue(eventually(() -> p.polls.get() == 3));
    }

    @Test
    void neverPollsWhileStoppedAndPollsAgainOnRestart() throws Exception {
        CountingPoll p = new CountingPoll();
        DeviceRunner.Slot s = slot("uart", p, true);
        runner.start();
        assertTrue(eventually(() -> p.polls.get() == 1));
        runner.stop();
        assertFalse(runner.isRunning());
        assertEquals(2, p.polls.get(), "stop() polls once more, so handed-over work reaches its backend");
        for (int i = 0; i < 100; i++) {
            s.wake();
        }
        s.wakeAfter(Duration.ofMillis(1));
        Thread.sleep(100);
        assertEquals(2, p.polls.get());
        runner.start();
        assertTrue(eventually(() -> p.polls.get() == 3));
        Thread.sleep(50);
        assertEquals(3, p.polls.get(), "pending wakes and the restart poll coalesce");
        assertEquals(List.of("start uart", "stop uart", "start uart"), events);
    }

    @Test
    void stopWaitsForAPollInProgress() throws Exception {
        CountingPoll p = new CountingPoll();
        p.block = new CountDownLatch(1);
        slot("uart", p, true);
        runner.start();
        assertTrue(p.entered.await(5, TimeUnit.SECONDS));
        Thread stopper = new Thread(runner::stop);
        stopper.start();
        stopper.join(100);
        assertTrue(stopper.isAlive(), "stop waits for the poll holding the device lock");
        p.block.countDown();
        stopper.join(5000);
        assertFalse(stopper.isAlive());
        assertEquals(List.of("start uart", "stop uart"), events);
    }

    @Test
    void wakeAfterFiresATimer() throws Exception {
        CountingPoll p = new CountingPoll();
        DeviceRunner.Slot s = slot("rtc", p, false);
        runner.start();
        assertTrue(eventually(() -> p.polls.get() == 1));
        long start = System.nanoTime();
        s.wakeAfter(Duration.ofMillis(1000));
        s.wakeAfter(Duration.ofMillis(100)); // the earlier deadline wins
        assertTrue(eventually(() -> p.polls.get() == 2));
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(ms >= 90 && ms < 900, "fired after ~100 ms, was " + ms);
        Thread.sleep(1200 - ms);
        assertEquals(2, p.polls.get(), "the later deadline was replaced, not added");
    }

    @Test
    void throwingPollIsLoggedAndNotRetriedInAHotLoop() throws Exception {
        CountingPoll bad = new CountingPoll();
        bad.toThrow = new IllegalStateException("device bug");
        CountingPoll good = new CountingPoll();
        DeviceRunner.Slot badSlot = slot("bad", bad, false);
        DeviceRunner.Slot goodSlot = slot("good", good, false);
        runner.start();
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
        while (System.nanoTime() < end) {
            badSlot.wake();
            goodSlot.wake();
            Thread.sleep(1);
        }
        // Back-off 10, 20, 40, 80, 160 ms: at most ~6 polls in 300 ms despite ~300 wakes.
        assertTrue(bad.polls.get() <= 8, "bad device polled " + bad.polls.get() + " times");
        // On a loaded machine the first back-off may outlast the window above: keep waking, by the clock.
        long retryEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (bad.polls.get() < 2 && System.nanoTime() < retryEnd) {
            badSlot.wake();
            Thread.sleep(5);
        }
        assertTrue(bad.polls.get() >= 2, "but it is retried");
        assertTrue(good.polls.get() > 5, "the healthy device keeps being polled: " + good.polls.get());
    }

    @Test
    void aStuckPollDoesNotStarveOtherDevices() throws Exception {
        CountingPoll stuck = new CountingPoll();
        stuck.block = new CountDownLatch(1);
        CountingPoll other = new CountingPoll();
        slot("stuck", stuck, false);
        DeviceRunner.Slot otherSlot = slot("other", other, false);
        runner.start();
        assertTrue(stuck.entered.await(5, TimeUnit.SECONDS));
        assertTrue(eventually(() -> other.polls.get() == 1)); // its start poll, else a wake would coalesce into it
        for (int i = 2; i <= 5; i++) {
            otherSlot.wake();
            int want = i;
            assertTrue(eventually(() -> other.polls.get() == want));
        }
        stuck.block.countDown();
    }

    @Test
    void stopAndResetDoNotHangOnADeviceStuckInItsPoll() throws Exception {
        CountingPoll stuck = new CountingPoll();
        stuck.block = new CountDownLatch(1);
        slot("stuck", stuck, true);
        slot("fine", null, true);
        runner.start();
        assertTrue(stuck.entered.await(5, TimeUnit.SECONDS));
        long t0 = System.nanoTime();
        runner.stop();
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertTrue(ms < DeviceRunner.STUCK_POLL_MS + 3000, "stop() returned after " + ms + " ms");
        assertEquals(List.of("start stuck", "start fine", "stop fine"), events, "the stuck device is left out");
        IllegalStateException e = assertThrows(IllegalStateException.class, runner::reset);
        assertTrue(e.getMessage().contains("stuck: stuck in its poll, cannot be reset"), e.getMessage());
        assertEquals("reset fine", events.get(events.size() - 1), "the others are still reset");
        stuck.block.countDown();
    }

    @Test
    void lifecycleRunsInOrderAndResetNeedsStop() {
        slot("a", null, true);
        slot("b", null, false);
        slot("c", null, true);
        runner.start();
        IllegalStateException e = assertThrows(IllegalStateException.class, runner::reset);
        assertTrue(e.getMessage().contains("call stop() first"));
        runner.stop();
        runner.reset();
        assertEquals(List.of("start a", "start c", "stop a", "stop c", "reset a", "reset c"), events);
    }

    @Test
    void startFailuresNameTheDeviceAndOthersStillStart() {
        DeviceRunner.Slot s = runner.addSlot("broken", new Object());
        s.bind(null, new DeviceLifecycle() {
            @Override
            public void start() {
                throw new IllegalStateException("no backend");
            }

            @Override
            public void reset() {}
        });
        slot("ok", null, true);
        IllegalStateException e = assertThrows(IllegalStateException.class, runner::start);
        assertTrue(e.getMessage().contains("broken"), e.getMessage());
        assertEquals(List.of("start ok"), events);
        assertTrue(runner.isRunning());
    }
}
