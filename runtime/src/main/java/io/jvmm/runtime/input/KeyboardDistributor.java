package io.jvmm.runtime.input;

import io.jvmm.api.input.KeyEvent;
import io.jvmm.api.input.KeyboardInput;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * One VM's host keyboard, shared by several consuming devices (after OpenVMM's input distributor).
 *
 * <p>Each consumer gets a {@link KeyboardInput} sink at a unique elevation. Host input goes to the
 * <em>active</em> sink with the highest elevation: the PS/2 keyboard sits at 0 and is always
 * active; a synthetic keyboard at a higher elevation takes over while its guest driver is
 * connected. Events wait in one bounded queue and are routed when a consumer takes them, so
 * keys typed while no sink is active (or while the target does not pull, e.g. its guest disabled
 * scanning) are kept, and a sink that goes inactive leaves nothing stranded in it. When the
 * queue is full new events are dropped and counted.
 *
 * <p>Thread-safe: host input may be sent from any thread; listeners are called outside the lock.
 */
public final class KeyboardDistributor {
    /** The default queue bound, in events. */
    public static final int DEFAULT_CAPACITY = 4096;

    private final Object lock = new Object();
    private final int capacity;
    private final ArrayDeque<KeyEvent> queue = new ArrayDeque<>();
    /** Sinks by elevation. */
    private final TreeMap<Integer, Sink> sinks = new TreeMap<>();
    private long dropped;

    public KeyboardDistributor() {
        this(DEFAULT_CAPACITY);
    }

    /** A distributor that keeps at most {@code capacity} undelivered events. */
    public KeyboardDistributor(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("keyboard queue capacity must be at least 1, was " + capacity);
        }
        this.capacity = capacity;
    }

    /**
     * Registers a consumer. The sink starts inactive; the consumer calls
     * {@link KeyboardInput#setActive(boolean)} when it wants input.
     *
     * @throws IllegalArgumentException if the elevation is negative or already taken (the message
     *     names both consumers)
     */
    public KeyboardInput sink(String consumerName, int elevation) {
        Objects.requireNonNull(consumerName, "consumerName");
        if (elevation < 0) {
            throw new IllegalArgumentException("keyboard input sink '" + consumerName
                    + "': elevation must not be negative, was " + elevation);
        }
        synchronized (lock) {
            Sink existing = sinks.get(elevation);
            if (existing != null) {
                throw new IllegalArgumentException("keyboard input sink '" + consumerName + "' at elevation "
                        + elevation + " conflicts with '" + existing.name + "'; give each keyboard consumer"
                        + " its own elevation");
            }
            Sink sink = new Sink(consumerName, elevation);
            sinks.put(elevation, sink);
            return sink;
        }
    }

    /**
     * Queues one host key event for the current target.
     *
     * @return false if the queue was full and the event was dropped
     */
    public boolean send(KeyEvent event) {
        Objects.requireNonNull(event, "event");
        Runnable listener;
        synchronized (lock) {
            if (queue.size() >= capacity) {
                dropped++;
                return false;
            }
            queue.addLast(event);
            listener = targetListenerLocked();
        }
        notify(listener);
        return true;
    }

    /**
     * Queues events in order, e.g. the make and break codes from {@link KeyNames#parse(String)}.
     *
     * @return how many were queued (the rest were dropped because the queue was full)
     */
    public int sendAll(List<KeyEvent> events) {
        int accepted = 0;
        Runnable listener;
        synchronized (lock) {
            for (KeyEvent e : events) {
                Objects.requireNonNull(e, "event");
                if (queue.size() >= capacity) {
                    dropped++;
                } else {
                    queue.addLast(e);
                    accepted++;
                }
            }
            listener = accepted > 0 ? targetListenerLocked() : null;
        }
        notify(listener);
        return accepted;
    }

    /** Events dropped because the queue was full. */
    public long dropped() {
        synchronized (lock) {
            return dropped;
        }
    }

    /** Events waiting to be taken. */
    public int queued() {
        synchronized (lock) {
            return queue.size();
        }
    }

    /** The consumer that input currently goes to, if any sink is active. */
    public Optional<String> target() {
        synchronized (lock) {
            Sink t = targetLocked();
            return t == null ? Optional.empty() : Optional.of(t.name);
        }
    }

    /** Registered consumers by elevation, with whether each is active (for diagnostics). */
    public List<String> describeSinks() {
        synchronized (lock) {
            List<String> out = new ArrayList<>();
            for (Map.Entry<Integer, Sink> e : sinks.descendingMap().entrySet()) {
                out.add(e.getValue().name + " (elevation " + e.getKey()
                        + (e.getValue().active ? ", active)" : ", inactive)"));
            }
            return out;
        }
    }

    private Sink targetLocked() {
        for (Sink s : sinks.descendingMap().values()) {
            if (s.active) {
                return s;
            }
        }
        return null;
    }

    /** The target's listener if there is something for it to take. */
    private Runnable targetListenerLocked() {
        Sink t = targetLocked();
        return t == null || queue.isEmpty() ? null : t.listener;
    }

    private static void notify(Runnable listener) {
        if (listener != null) {
            listener.run();
        }
    }

    /** One consumer's view: it sees events only while it is the target. */
    private final class Sink implements KeyboardInput {
        private final String name;
        private final int elevation;
        private boolean active;
        private Runnable listener;

        Sink(String name, int elevation) {
            this.name = name;
            this.elevation = elevation;
        }

        @Override
        public KeyEvent poll() {
            synchronized (lock) {
                return targetLocked() == this ? queue.pollFirst() : null;
            }
        }

        @Override
        public void setListener(Runnable listener) {
            Runnable wake;
            synchronized (lock) {
                this.listener = listener;
                wake = targetLocked() == this ? targetListenerLocked() : null;
            }
            KeyboardDistributor.notify(wake);
        }

        @Override
        public void setActive(boolean active) {
            Runnable wake;
            synchronized (lock) {
                if (this.active == active) {
                    return;
                }
                this.active = active;
                // The target may have changed: let the new one pull what is waiting.
                wake = targetListenerLocked();
            }
            KeyboardDistributor.notify(wake);
        }

        @Override
        public String toString() {
            return "keyboard sink '" + name + "' at elevation " + elevation;
        }
    }
}
