package io.jvmm.runtime.board;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.jvmm.api.device.DeviceLifecycle;
import io.jvmm.api.device.PollDevice;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The runner on a {@link ManualTicker}: time moves only when a test advances it, and
 * {@link #settle()} waits until the runner has nothing left to do, so "no further poll" is
 * asserted exactly rather than after a sleep.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DeviceRunnerTest {
    /** How long a test waits for something that must happen before it fails (never a pause). */
    private static final long LIMIT_NANOS = TimeUnit.SECONDS.toNanos(20);

    private final ManualTicker ticker = new ManualTicker();
    private final CountingPool pool = new CountingPool();
    private final DeviceRunner runner = new DeviceRunner("test-devices", ticker, pool);
    private final List<String> events = new CopyOnWriteArrayList<>();

    @AfterEach
    void close() {
        runner.close();
    }

    /** Waits on {@code monitor} (which the changes notify) until {@code condition}, or fails. */
    private static void await(Object monitor, BooleanSupplier condition, String what) {
        long end = System.nanoTime() + LIMIT_NANOS;
        synchronized (monitor) {
            while (!condition.getAsBoolean()) {
                long left = end - System.nanoTime();
                if (left <= 0) {
                    fail("timed out waiting until " + what);
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(monitor, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    fail("interrupted waiting until " + what);
                }
            }
        }
    }

    /**
     * The scheduler's clock and parking for tests. Time moves only by {@link #advance}; the
     * scheduler parks until unparked (by the runner's own signals, or by {@link #kick}); the
     * counters let a test tell when the scheduler went round and when a lifecycle call is waiting
     * for a poll in flight.
     */
    static final class ManualTicker implements DeviceRunner.Ticker {
        private long now = 1L << 40;
        private Thread scheduler;
        private long parksEntered;
        private long parksLeft;
        private long pauses;

        @Override
        public synchronized long nanoTime() {
            return now;
        }

        @Override
        public void parkScheduler(Object blocker, long nanos) {
            synchronized (this) {
                scheduler = Thread.currentThread();
                parksEntered++;
                notifyAll();
            }
            LockSupport.park(blocker); // whatever nanos says: only advance() moves time
            synchronized (this) {
                parksLeft++;
                notifyAll();
            }
        }

        @Override
        public void pauseForPoll(long nanos) {
            synchronized (this) {
                pauses++;
                notifyAll();
            }
            LockSupport.parkNanos(nanos); // real time: the stuck-poll limit is on the manual clock
        }

        void advance(Duration d) {
            synchronized (this) {
                now += d.toNanos();
            }
            kick();
        }

        /** Makes the scheduler go round once more (the scheduler loop tolerates spurious wakes). */
        void kick() {
            await(this, () -> scheduler != null, "the scheduler parked once");
            Thread t;
            synchronized (this) {
                t = scheduler;
            }
            LockSupport.unpark(t);
        }

        synchronized long parksEntered() {
            return parksEntered;
        }

        synchronized long parksLeft() {
            return parksLeft;
        }

        synchronized long pauses() {
            return pauses;
        }

        synchronized void poke() {
            notifyAll();
        }
    }

    /** The poll pool, counting polls handed to it and polls finished (including their signal). */
    static final class CountingPool extends ThreadPoolExecutor {
        private long submitted;
        private long completed;
        /** How many of the next execute() calls fail as when no thread can be created. */
        volatile int failingExecutes;

        CountingPool() {
            super(0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
                Thread t = new Thread(r, "test-devices-poll");
                t.setDaemon(true);
                return t;
            });
        }

        @Override
        public void execute(Runnable command) {
            synchronized (this) {
                if (failingExecutes > 0) {
                    failingExecutes--;
                    throw new OutOfMemoryError("unable to create native thread: possibly out of memory");
                }
                submitted++;
            }
            try {
                super.execute(command);
            } catch (RejectedExecutionException e) {
                synchronized (this) {
                    submitted--;
                    notifyAll();
                }
                throw e;
            }
        }

        @Override
        protected void afterExecute(Runnable r, Throwable t) {
            synchronized (this) {
                completed++;
                notifyAll();
            }
        }

        synchronized long submitted() {
            return submitted;
        }

        /**
         * Waits until every poll handed over has finished; returns how many were handed over. The
         * count is read under the same hold of the lock as the check that they all finished: read
         * after letting go, it could include a poll handed over since, not yet run, which the
         * caller would take as finished.
         */
        long awaitAllDone() {
            synchronized (this) {
                await(this, () -> completed == submitted, "every poll in flight finished");
                return submitted;
            }
        }
    }

    /**
     * Waits until the runner is idle: no poll in flight and a whole scheduler round, begun after
     * everything this test did so far, that dispatched nothing. Nothing more happens until the
     * test wakes a device, advances the clock or calls the runner.
     */
    private void settle() {
        long end = System.nanoTime() + LIMIT_NANOS;
        while (System.nanoTime() - end < 0) {
            long handed = pool.awaitAllDone();
            long left = ticker.parksLeft();
            ticker.kick();
            // The round after park number left + 1 ends began after this point.
            await(ticker, () -> ticker.parksEntered() >= left + 2, "the scheduler went round");
            if (pool.submitted() == handed) {
                return;
            }
        }
        fail("the runner kept dispatching polls");
    }

    /** Counts polls; optionally blocks in a poll until released. */
    private static final class CountingPoll implements PollDevice {
        private int polls;
        volatile CountDownLatch block;
        final CountDownLatch entered = new CountDownLatch(1);
        /** A RuntimeException or an Error. */
        volatile Throwable toThrow;

        @Override
        public void poll() {
            synchronized (this) {
                polls++;
                notifyAll();
            }
            entered.countDown();
            CountDownLatch b = block;
            if (b != null) {
                try {
                    b.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            Throwable e = toThrow;
            if (e instanceof RuntimeException r) {
                throw r;
            }
            if (e instanceof Error r) {
                throw r;
            }
        }

        synchronized int polls() {
            return polls;
        }

        void awaitPolls(int n) {
            await(this, () -> polls >= n, n + " polls");
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

    /**
     * Runs a lifecycle call on another thread while a device is stuck in its poll: waits until the
     * call waits for that poll, moves the clock past the stuck-poll limit and returns the outcome.
     */
    private CompletableFuture<Void> pastStuckLimit(Runnable call) {
        long pausesBefore = ticker.pauses();
        CompletableFuture<Void> f = CompletableFuture.runAsync(call, r -> new Thread(r, "lifecycle").start());
        f.whenComplete((v, e) -> ticker.poke());
        await(ticker, () -> ticker.pauses() > pausesBefore || f.isDone(), "the call waits for the stuck poll");
        assertFalse(f.isDone(), "the call did not wait for the poll in flight");
        ticker.advance(Duration.ofMillis(DeviceRunner.STUCK_POLL_MS).plusNanos(1));
        return f;
    }

    private static Throwable failure(CompletableFuture<Void> f) throws Exception {
        try {
            f.get(20, TimeUnit.SECONDS);
            return null;
        } catch (ExecutionException e) {
            return e.getCause();
        }
    }

    @Test
    void pollsOnceOnStartAndNotBefore() {
        CountingPoll p = new CountingPoll();
        DeviceRunner.Slot s = slot("uart", p, false);
        s.wake();
        s.wakeAfter(Duration.ZERO);
        // Before start() there is no scheduler thread: nothing can have been handed to the pool.
        assertEquals(0, pool.submitted(), "never polled before start");
        assertEquals(0, p.polls());
        runner.start();
        settle();
        assertEquals(1, p.polls(), "the start poll, the earlier wake and the due timer coalesce");
    }

    @Test
    void wakesDuringAPollCoalesceIntoOneMorePoll() throws Exception {
        CountingPoll p = new CountingPoll();
        p.block = new CountDownLatch(1);
        DeviceRunner.Slot s = slot("uart", p, false);
        runner.start();
        assertTrue(p.entered.await(20, TimeUnit.SECONDS));
        for (int i = 0; i < 1000; i++) {
            s.wake();
        }
        p.block.countDown();
        settle();
        assertEquals(2, p.polls(), "1000 wakes during the poll give exactly one more poll");
        s.wake();
        settle();
        assertEquals(3, p.polls());
    }

    @Test
    void neverPollsWhileStoppedAndPollsAgainOnRestart() {
        CountingPoll p = new CountingPoll();
        DeviceRunner.Slot s = slot("uart", p, true);
        runner.start();
        settle();
        assertEquals(1, p.polls());
        runner.stop();
        assertFalse(runner.isRunning());
        assertEquals(2, p.polls(), "stop() polls once more, so handed-over work reaches its backend");
        for (int i = 0; i < 100; i++) {
            s.wake();
        }
        s.wakeAfter(Duration.ofMillis(1));
        ticker.advance(Duration.ofMillis(5)); // the timer is due
        settle();
        assertEquals(2, p.polls(), "no poll while stopped, neither woken nor timed");
        runner.start();
        settle();
        assertEquals(3, p.polls(), "pending wakes, the due timer and the restart poll coalesce");
        assertEquals(List.of("start uart", "stop uart", "start uart"), events);
    }

    @Test
    void stopWaitsForAPollInProgress() throws Exception {
        CountingPoll p = new CountingPoll();
        p.block = new CountDownLatch(1);
        slot("uart", p, true);
        runner.start();
        assertTrue(p.entered.await(20, TimeUnit.SECONDS));
        long pausesBefore = ticker.pauses();
        CompletableFuture<Void> stopper = CompletableFuture.runAsync(runner::stop, r -> new Thread(r, "stopper").start());
        stopper.whenComplete((v, e) -> ticker.poke());
        // On the manual clock the stuck-poll limit never passes: stop() can only wait or be wrong.
        await(ticker, () -> ticker.pauses() > pausesBefore || stopper.isDone(), "stop() waits for the poll");
        assertFalse(stopper.isDone(), "stop waits for the poll holding the device lock");
        assertEquals(List.of("start uart"), events);
        p.block.countDown();
        stopper.get(20, TimeUnit.SECONDS);
        assertEquals(List.of("start uart", "stop uart"), events);
        assertEquals(2, p.polls(), "the poll it waited for, then the final poll");
    }

    @Test
    void wakeAfterFiresATimer() {
        CountingPoll p = new CountingPoll();
        DeviceRunner.Slot s = slot("rtc", p, false);
        runner.start();
        settle();
        assertEquals(1, p.polls());
        s.wakeAfter(Duration.ofMillis(1000));
        s.wakeAfter(Duration.ofMillis(100)); // the earlier deadline wins
        ticker.advance(Duration.ofMillis(99));
        settle();
        assertEquals(1, p.polls(), "not before the deadline");
        ticker.advance(Duration.ofMillis(1));
        settle();
        assertEquals(2, p.polls(), "fired at 100 ms");
        ticker.advance(Duration.ofMillis(900));
        settle();
        ticker.advance(Duration.ofDays(1));
        settle();
        assertEquals(2, p.polls(), "the later deadline was replaced, not added");

        s.wakeAfter(Duration.ofMillis(100));
        s.wakeAfter(Duration.ofMillis(1000)); // a later deadline does not push back an earlier one
        ticker.advance(Duration.ofMillis(100));
        settle();
        assertEquals(3, p.polls(), "fired at 100 ms");
        ticker.advance(Duration.ofDays(1));
        settle();
        assertEquals(3, p.polls(), "one timer, one poll");
    }

    @Test
    void throwingPollIsLoggedAndBackedOffNotRetriedInAHotLoop() {
        backsOff(new IllegalStateException("device bug"));
    }

    /**
     * An Error too (a plugin built against another api version throws a LinkageError): before,
     * it escaped to the poll thread, which died, printed it on stderr and the device was polled
     * again at every wake.
     */
    @Test
    void aPollThatThrowsAnErrorIsBackedOffLikeAnExceptionToo() {
        backsOff(new NoSuchMethodError("a plugin built against another api"));
    }

    private void backsOff(Throwable thrown) {
        CountingPoll bad = new CountingPoll();
        bad.toThrow = thrown;
        CountingPoll good = new CountingPoll();
        DeviceRunner.Slot badSlot = slot("bad", bad, false);
        DeviceRunner.Slot goodSlot = slot("good", good, false);
        runner.start();
        settle();
        assertEquals(1, bad.polls());
        assertEquals(1, good.polls());
        int expectedBad = 1;
        int expectedGood = 1;
        // Back-off after each throw: 10, 20, 40, ... ms, doubling up to MAX_BACKOFF_MS.
        long backoff = DeviceRunner.FIRST_BACKOFF_MS;
        for (int round = 0; round < 9; round++) {
            for (int i = 0; i < 100; i++) {
                badSlot.wake();
            }
            goodSlot.wake();
            ticker.advance(Duration.ofMillis(backoff - 1));
            settle();
            assertEquals(expectedBad, bad.polls(), "100 wakes within a " + backoff + " ms back-off: no poll");
            assertEquals(++expectedGood, good.polls(), "the healthy device keeps being polled");
            ticker.advance(Duration.ofMillis(1));
            settle();
            assertEquals(++expectedBad, bad.polls(), "retried once after the " + backoff + " ms back-off");
            backoff = Math.min(backoff * 2, DeviceRunner.MAX_BACKOFF_MS);
        }
        assertEquals(DeviceRunner.MAX_BACKOFF_MS, backoff);
        // Once a poll succeeds the back-off is over: the next wake polls at once.
        bad.toThrow = null;
        badSlot.wake();
        ticker.advance(Duration.ofMillis(backoff));
        settle();
        assertEquals(++expectedBad, bad.polls());
        badSlot.wake();
        settle();
        assertEquals(++expectedBad, bad.polls(), "no back-off after a poll that returned");
    }

    /**
     * The pool cannot create a poll thread (an OutOfMemoryError): before, that Error ended the
     * scheduler thread, and no device was polled again. Now the poll stays owed and is retried after
     * the back-off, and the other devices keep being polled.
     */
    @Test
    void aPollThreadThatCannotBeCreatedIsRetriedAfterABackOff() {
        CountingPoll first = new CountingPoll();
        CountingPoll other = new CountingPoll();
        slot("first", first, false);
        DeviceRunner.Slot otherSlot = slot("other", other, false);
        pool.failingExecutes = 1; // the first start-up poll ("first" is dispatched before "other")
        runner.start();
        settle();
        assertEquals(0, first.polls(), "its poll thread could not be made");
        assertEquals(1, other.polls(), "the other device was polled");
        pool.failingExecutes = 1; // the retry: only "first" is due
        ticker.advance(Duration.ofMillis(DeviceRunner.FIRST_BACKOFF_MS));
        settle();
        assertEquals(0, first.polls(), "the retry failed too");
        ticker.advance(Duration.ofMillis(2 * DeviceRunner.FIRST_BACKOFF_MS - 1));
        settle();
        assertEquals(0, first.polls(), "backed off for twice as long");
        ticker.advance(Duration.ofMillis(1));
        settle();
        assertEquals(1, first.polls(), "polled once threads can be made again");
        otherSlot.wake();
        settle();
        assertEquals(2, other.polls(), "the scheduler is alive");
    }

    @Test
    void aStuckPollDoesNotStarveOtherDevices() throws Exception {
        CountingPoll stuck = new CountingPoll();
        stuck.block = new CountDownLatch(1);
        CountingPoll other = new CountingPoll();
        slot("stuck", stuck, false);
        DeviceRunner.Slot otherSlot = slot("other", other, false);
        runner.start();
        assertTrue(stuck.entered.await(20, TimeUnit.SECONDS));
        other.awaitPolls(1); // its start poll, else a wake would coalesce into it
        for (int i = 2; i <= 5; i++) {
            otherSlot.wake();
            other.awaitPolls(i);
        }
        assertEquals(1, stuck.polls());
        stuck.block.countDown();
    }

    @Test
    void lifecycleCallsDoNotHangOnADeviceStuckInItsPoll() throws Exception {
        CountingPoll stuck = new CountingPoll();
        stuck.block = new CountDownLatch(1);
        slot("stuck", stuck, true);
        slot("fine", null, true);
        runner.start();
        assertTrue(stuck.entered.await(20, TimeUnit.SECONDS));

        // stop() waits up to the limit, and not less, then leaves the stuck device out.
        long pausesBefore = ticker.pauses();
        CompletableFuture<Void> stopper = CompletableFuture.runAsync(runner::stop, r -> new Thread(r, "stopper").start());
        stopper.whenComplete((v, e) -> ticker.poke());
        await(ticker, () -> ticker.pauses() > pausesBefore || stopper.isDone(), "stop() waits for the poll");
        ticker.advance(Duration.ofMillis(DeviceRunner.STUCK_POLL_MS));
        long pausesAtLimit = ticker.pauses();
        // Two more pauses: stop() has looked at the clock since it reached the limit.
        await(ticker, () -> ticker.pauses() >= pausesAtLimit + 2 || stopper.isDone(), "stop() looks again");
        assertFalse(stopper.isDone(), "stop() gave up before the stuck-poll limit");
        ticker.advance(Duration.ofNanos(1));
        assertEquals(null, failure(stopper));
        assertEquals(List.of("start stuck", "start fine", "stop fine"), events, "the stuck device is left out");
        assertEquals(List.of("stuck"), runner.leftRunning(), "what a snapshot must refuse to save");

        Throwable e = failure(pastStuckLimit(runner::reset));
        assertTrue(e instanceof IllegalStateException, String.valueOf(e));
        assertEquals("could not reset devices: stuck: stuck in its poll, cannot be reset", e.getMessage());
        assertEquals("reset fine", events.get(events.size() - 1), "the others are still reset");

        e = failure(pastStuckLimit(runner::start));
        assertTrue(e instanceof IllegalStateException, String.valueOf(e));
        assertEquals("could not start devices: stuck: stuck in its poll, cannot be started", e.getMessage());
        assertEquals(List.of("start stuck", "start fine", "stop fine", "reset fine", "start fine"), events,
                "the others are still started");
        assertTrue(runner.isRunning());
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
        assertEquals("could not start devices: broken: java.lang.IllegalStateException: no backend", e.getMessage());
        assertEquals(List.of("start ok"), events);
        assertTrue(runner.isRunning());
    }

    /** A plugin built against another api throws a LinkageError: the others still start, and stop. */
    @Test
    void aDeviceWhoseStartOrStopThrowsAnErrorIsNamedAndTheOthersStillStartAndStop() {
        DeviceRunner.Slot s = runner.addSlot("old-plugin", new Object());
        s.bind(null, new DeviceLifecycle() {
            @Override
            public void start() {
                throw new NoSuchMethodError("start");
            }

            @Override
            public void stop() {
                throw new NoSuchMethodError("stop");
            }

            @Override
            public void reset() {}
        });
        slot("ok", null, true);
        IllegalStateException e = assertThrows(IllegalStateException.class, runner::start);
        assertEquals("could not start devices: old-plugin: java.lang.NoSuchMethodError: start", e.getMessage());
        runner.stop();
        assertEquals(List.of("start ok", "stop ok"), events);
    }

    @Test
    void theProductionRunnerPollsOnTheRealClock() throws Exception {
        try (DeviceRunner real = new DeviceRunner("real-devices")) {
            CountingPoll p = new CountingPoll();
            DeviceRunner.Slot s = real.addSlot("rtc", new Object());
            s.bind(p, null);
            real.start();
            p.awaitPolls(1);
            s.wake();
            p.awaitPolls(2);
            s.wakeAfter(Duration.ofMillis(1));
            p.awaitPolls(3);
            real.stop();
        }
    }
}
