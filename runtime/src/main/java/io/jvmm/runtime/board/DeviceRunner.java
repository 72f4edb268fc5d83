package io.jvmm.runtime.board;

import io.jvmm.api.device.DeviceLifecycle;
import io.jvmm.api.device.DeviceWaker;
import io.jvmm.api.device.PollDevice;
import io.jvmm.api.support.LogRateLimiter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the devices off the vCPU threads: their lifecycle ({@link #start()}, {@link #stop()},
 * {@link #reset()}, in board order) and their {@link PollDevice#poll()}.
 *
 * <p>One scheduler thread ({@code jvmm-devices}, a platform daemon thread) watches the wakers and
 * timers and hands due polls to a pool of poll threads. Each device has at most one poll in flight,
 * so a device that never returns from {@code poll} only ties up its own thread: the others keep
 * being polled. (Such a device does block {@link #stop()}, which waits for the device's lock.)
 *
 * <p>Polls run holding the device's lock, once after {@link #start()} and then whenever the device's
 * waker fires; many wakes before a poll give one poll; never while stopped. A poll that throws (an
 * exception or an {@link Error}) is logged (rate-limited) and the device is not polled again before a
 * back-off delay, which doubles up to {@value #MAX_BACKOFF_MS} ms while it keeps throwing.
 */
public final class DeviceRunner implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DeviceRunner.class);
    static final long FIRST_BACKOFF_MS = 10;
    static final long MAX_BACKOFF_MS = 1000;
    /** How long stop() waits for a poll in progress before it gives up on that device. */
    static final long STUCK_POLL_MS = 2000;

    /**
     * The runner's time source and its two ways of waiting. A package-private seam: tests run the
     * timers, back-offs and the stuck-poll limit on a clock that moves only when they say so.
     */
    interface Ticker {
        /** The real thing: {@link System#nanoTime()} and {@link LockSupport}. */
        Ticker SYSTEM = new Ticker() {
            @Override
            public long nanoTime() {
                return System.nanoTime();
            }

            @Override
            public void parkScheduler(Object blocker, long nanos) {
                if (nanos == Long.MAX_VALUE) {
                    LockSupport.park(blocker);
                } else {
                    LockSupport.parkNanos(blocker, nanos);
                }
            }

            @Override
            public void pauseForPoll(long nanos) {
                LockSupport.parkNanos(nanos);
            }
        };

        long nanoTime();

        /**
         * Parks the scheduler thread until {@link LockSupport#unpark} or, unless {@code nanos} is
         * {@link Long#MAX_VALUE}, until {@code nanos} have passed. May return early.
         */
        void parkScheduler(Object blocker, long nanos);

        /** Waits about {@code nanos} before a lifecycle call looks again at a poll in flight. */
        void pauseForPoll(long nanos);
    }

    private final String threadName;
    private final List<Slot> slots = new ArrayList<>();
    private final Ticker ticker;
    private final ExecutorService pollPool;
    private volatile boolean running;
    private volatile boolean closed;
    /** Devices the last {@link #stop()} had to leave inside their poll (guarded by this). */
    private final List<String> leftRunning = new ArrayList<>();
    private volatile Thread scheduler;

    public DeviceRunner() {
        this("jvmm-devices");
    }

    public DeviceRunner(String threadName) {
        this(threadName, Ticker.SYSTEM, newPollPool(threadName));
    }

    /** With another time source and poll executor (which {@link #close()} shuts down); for tests. */
    DeviceRunner(String threadName, Ticker ticker, ExecutorService pollPool) {
        this.threadName = Objects.requireNonNull(threadName);
        this.ticker = Objects.requireNonNull(ticker);
        this.pollPool = Objects.requireNonNull(pollPool);
    }

    /** Unbounded but with at most one poll in flight per device, so threads <= poll devices. */
    private static ThreadPoolExecutor newPollPool(String threadName) {
        AtomicInteger n = new AtomicInteger();
        return new ThreadPoolExecutor(0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS, new SynchronousQueue<>(),
                r -> {
                    Thread t = new Thread(r, threadName + "-poll-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
    }

    /**
     * Adds a device slot (before its device exists, so its resolver can get the waker). Bind the
     * device with {@link Slot#bind} once it is built.
     */
    synchronized Slot addSlot(String name, Object lock) {
        if (scheduler != null) {
            throw new IllegalStateException("devices cannot be added after the runner started");
        }
        Slot s = new Slot(name, lock);
        slots.add(s);
        return s;
    }

    public boolean isRunning() {
        return running;
    }

    /**
     * Starts every device in board order, then polls each poll device once.
     *
     * @throws IllegalStateException naming the devices whose {@code start()} threw (the others are started)
     */
    public synchronized void start() {
        if (closed) {
            throw new IllegalStateException("the device runner is closed");
        }
        if (running) {
            return;
        }
        List<String> failures = new ArrayList<>();
        for (Slot s : slots) {
            DeviceLifecycle lc = s.lifecycle;
            if (lc == null) {
                continue;
            }
            if (!awaitPollDone(s)) {
                failures.add(s.name + ": stuck in its poll, cannot be started");
                continue;
            }
            try {
                synchronized (s.lock) {
                    lc.start();
                }
            } catch (RuntimeException | Error e) { // an Error too: a plugin's LinkageError ends no other device
                log.warn("device {} failed to start", s.name, e);
                failures.add(s.name + ": " + e);
            }
        }
        running = true;
        for (Slot s : slots) {
            if (s.poll != null) {
                s.woken.set(true);
            }
        }
        if (scheduler == null) {
            Thread t = new Thread(this::schedule, threadName);
            t.setDaemon(true);
            scheduler = t;
            t.start();
        }
        signal();
        if (!failures.isEmpty()) {
            throw new IllegalStateException("could not start devices: " + String.join("; ", failures));
        }
    }

    /**
     * The devices the last {@link #stop()} left running because they were stuck in their poll: their
     * state may still change, so nothing that needs a stopped board (a snapshot) may go on.
     */
    public synchronized List<String> leftRunning() {
        return List.copyOf(leftRunning);
    }

    /**
     * Stops polling, then stops every device in board order. When this returns no poll is running
     * and none will run until {@link #start()}. A device whose {@code stop()} throws is logged and the
     * others are still stopped.
     */
    public synchronized void stop() {
        // A device stuck in its poll holds its lock forever: leave it out rather than hang the VM.
        List<Slot> responsive = new ArrayList<>();
        leftRunning.clear();
        for (Slot s : slots) {
            if (awaitPollDone(s)) {
                responsive.add(s);
            } else {
                leftRunning.add(s.name);
                log.warn("device {} has been inside its poll for more than {} ms; it is left running "
                        + "(its state may be inconsistent) so that the VM can stop", s.name, STUCK_POLL_MS);
            }
        }
        // One last poll while still running, so that work the guest already handed over (bytes in
        // a UART's transmit buffer) reaches its backend before the VM stops or powers off.
        if (running) {
            for (Slot s : responsive) {
                if (s.poll != null) {
                    synchronized (s.lock) {
                        try {
                            s.poll.poll();
                        } catch (RuntimeException | Error e) {
                            log.warn("device {} failed its final poll", s.name, e);
                        }
                    }
                }
            }
        }
        running = false;
        for (Slot s : responsive) {
            DeviceLifecycle lc = s.lifecycle;
            // Taking the lock also waits for a poll in progress.
            synchronized (s.lock) {
                if (lc != null) {
                    try {
                        lc.stop();
                    } catch (RuntimeException | Error e) {
                        log.warn("device {} failed to stop", s.name, e);
                    }
                }
            }
        }
    }

    /** Waits up to {@value #STUCK_POLL_MS} ms for the slot's poll in flight, if any; false if it is stuck. */
    private boolean awaitPollDone(Slot s) {
        long end = ticker.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STUCK_POLL_MS);
        while (s.inFlight.get()) {
            if (ticker.nanoTime() - end > 0) {
                return false;
            }
            ticker.pauseForPoll(TimeUnit.MILLISECONDS.toNanos(1));
        }
        return true;
    }

    /**
     * Resets every device in board order. Devices must be stopped first.
     *
     * @throws IllegalStateException when running, or naming the devices whose {@code reset()} threw
     */
    public synchronized void reset() {
        if (running) {
            throw new IllegalStateException("devices can only be reset while stopped; call stop() first");
        }
        List<String> failures = new ArrayList<>();
        for (Slot s : slots) {
            DeviceLifecycle lc = s.lifecycle;
            if (lc == null) {
                continue;
            }
            if (!awaitPollDone(s)) {
                failures.add(s.name + ": stuck in its poll, cannot be reset");
                continue;
            }
            try {
                synchronized (s.lock) {
                    lc.reset();
                }
            } catch (RuntimeException | Error e) {
                log.warn("device {} failed to reset", s.name, e);
                failures.add(s.name + ": " + e);
            }
        }
        if (!failures.isEmpty()) {
            throw new IllegalStateException("could not reset devices: " + String.join("; ", failures));
        }
    }

    /** Ends the scheduler and poll threads. Does not stop the devices; call {@link #stop()} for that. */
    @Override
    public void close() {
        closed = true;
        running = false;
        Thread t = scheduler;
        if (t != null) {
            LockSupport.unpark(t);
            try {
                t.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        pollPool.shutdownNow();
    }

    private void signal() {
        Thread t = scheduler;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    /** The scheduler loop: dispatch due polls, then sleep until the next timer or wake. */
    private void schedule() {
        List<Slot> all;
        synchronized (this) {
            all = List.copyOf(slots);
        }
        while (!closed) {
            long wait = Long.MAX_VALUE;
            if (running) {
                long now = ticker.nanoTime();
                for (Slot s : all) {
                    wait = Math.min(wait, s.dispatchIfDue(now));
                }
            }
            if (closed) {
                return;
            }
            if (wait > 0) {
                ticker.parkScheduler(this, wait);
            }
        }
    }

    /** One device's poll state; also its {@link DeviceWaker}. */
    final class Slot implements DeviceWaker {
        final String name;
        final Object lock;
        private volatile PollDevice poll;
        private volatile DeviceLifecycle lifecycle;
        private final AtomicBoolean woken = new AtomicBoolean();
        private final AtomicBoolean inFlight = new AtomicBoolean();
        private final LogRateLimiter errorLog = new LogRateLimiter(5);
        private final Runnable pollTask = this::runPoll;
        /** Guarded by {@code timerLock}. */
        private boolean hasDeadline;
        private long deadline;
        private final Object timerLock = new Object();
        /** Written only by the poll thread of this slot (one at a time), read by the scheduler. */
        private volatile long notBefore;
        private volatile boolean backingOff;
        private long backoffMs = FIRST_BACKOFF_MS;

        private Slot(String name, Object lock) {
            this.name = name;
            this.lock = lock;
        }

        /** Attaches the built device's capabilities (either may be null). */
        void bind(PollDevice poll, DeviceLifecycle lifecycle) {
            this.poll = poll;
            this.lifecycle = lifecycle;
        }

        @Override
        public void wake() {
            if (woken.compareAndSet(false, true)) {
                signal();
            }
        }

        @Override
        public void wakeAfter(Duration delay) {
            long at = ticker.nanoTime() + Math.max(0, delay.toNanos());
            synchronized (timerLock) {
                if (!hasDeadline || at - deadline < 0) {
                    hasDeadline = true;
                    deadline = at;
                }
            }
            signal();
        }

        /** Starts a poll if one is due; returns the nanoseconds until this slot next needs a look. */
        long dispatchIfDue(long now) {
            if (poll == null) {
                return Long.MAX_VALUE;
            }
            long untilTimer = Long.MAX_VALUE;
            synchronized (timerLock) {
                if (hasDeadline) {
                    if (now - deadline >= 0) {
                        hasDeadline = false;
                        woken.set(true);
                    } else {
                        untilTimer = deadline - now;
                    }
                }
            }
            if (inFlight.get() || !woken.get()) {
                return untilTimer; // a finishing poll signals the scheduler
            }
            if (backingOff && now - notBefore < 0) {
                return Math.min(untilTimer, notBefore - now);
            }
            woken.set(false); // wakes from here on give one more poll
            inFlight.set(true);
            try {
                pollPool.execute(pollTask);
            } catch (RejectedExecutionException e) { // pool shut down by close()
                inFlight.set(false);
            } catch (RuntimeException | Error e) {
                // No poll thread could be made (OutOfMemoryError: unable to create native thread).
                // Escaping here would end the scheduler thread silently and no device of this VM
                // would be polled again: the guest would wait forever. Instead the poll stays owed
                // and is retried after the same back-off as a poll that throws (up to
                // MAX_BACKOFF_MS, for as long as it fails); the VM is not failed for it, since a
                // shortage of threads is usually passing.
                inFlight.set(false);
                woken.set(true);
                notBefore = now + TimeUnit.MILLISECONDS.toNanos(backoffMs);
                backingOff = true;
                long s = errorLog.tryAcquire();
                if (s != LogRateLimiter.SUPPRESSED) {
                    log.warn("could not start a poll of device {}; trying again in {} ms{}", name, backoffMs,
                            LogRateLimiter.suppressedNote(s), e);
                }
                untilTimer = Math.min(untilTimer, TimeUnit.MILLISECONDS.toNanos(backoffMs));
                backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
            }
            return untilTimer;
        }

        private void runPoll() {
            try {
                synchronized (lock) {
                    if (running && !closed) {
                        poll.poll();
                    }
                }
                backingOff = false;
                backoffMs = FIRST_BACKOFF_MS;
            } catch (RuntimeException | Error e) {
                // An Error too (a plugin built against another api throws a LinkageError): it would
                // end this pool thread and the device would be polled again at every wake.
                notBefore = ticker.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoffMs);
                backingOff = true;
                long s = errorLog.tryAcquire();
                if (s != LogRateLimiter.SUPPRESSED) {
                    log.warn("device {} threw from poll; not polling it again for {} ms{}", name, backoffMs,
                            LogRateLimiter.suppressedNote(s), e);
                }
                backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
            } finally {
                inFlight.set(false);
                signal();
            }
        }
    }
}
