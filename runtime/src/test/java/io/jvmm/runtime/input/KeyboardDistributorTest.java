package io.jvmm.runtime.input;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.input.KeyEvent;
import io.jvmm.api.input.KeyboardInput;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class KeyboardDistributorTest {
    private static final KeyEvent A = new KeyEvent(0x1E, true);
    private static final KeyEvent B = new KeyEvent(0x30, true);

    private final KeyboardDistributor keys = new KeyboardDistributor();

    @Test
    void highestActiveSinkWins() {
        KeyboardInput ps2 = keys.sink("i8042", 0);
        KeyboardInput synthetic = keys.sink("vmbus-keyboard", 1);
        ps2.setActive(true);
        synthetic.setActive(true);
        keys.send(A);
        assertNull(ps2.poll(), "a lower sink sees nothing");
        assertEquals(A, synthetic.poll());
        assertEquals(Optional.of("vmbus-keyboard"), keys.target());
    }

    @Test
    void inactiveSinkFallsThrough() {
        KeyboardInput ps2 = keys.sink("i8042", 0);
        KeyboardInput synthetic = keys.sink("vmbus-keyboard", 5);
        ps2.setActive(true);
        keys.send(A);
        assertNull(synthetic.poll(), "inactive sinks get nothing");
        assertEquals(A, ps2.poll());
        synthetic.setActive(true);
        synthetic.setActive(false);
        keys.send(B);
        assertEquals(B, ps2.poll());
    }

    @Test
    void duplicateElevationNamesBothConsumers() {
        keys.sink("i8042", 0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> keys.sink("usb-kbd", 0));
        assertTrue(e.getMessage().contains("'usb-kbd'") && e.getMessage().contains("'i8042'")
                && e.getMessage().contains("elevation 0"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> keys.sink("x", -1));
    }

    @Test
    void inputIsKeptWhileNoSinkIsActive() {
        KeyboardInput ps2 = keys.sink("i8042", 0);
        AtomicInteger calls = new AtomicInteger();
        ps2.setListener(calls::incrementAndGet);
        keys.sendAll(List.of(A, B));
        assertEquals(0, calls.get(), "nobody to notify");
        assertNull(ps2.poll());
        assertEquals(2, keys.queued());
        ps2.setActive(true);
        assertEquals(1, calls.get(), "activation notifies the new target of waiting input");
        assertEquals(A, ps2.poll());
        assertEquals(B, ps2.poll());
        assertNull(ps2.poll());
    }

    @Test
    void listenerOfTheTargetIsCalledOnSend() {
        KeyboardInput low = keys.sink("low", 0);
        KeyboardInput high = keys.sink("high", 1);
        AtomicInteger lowCalls = new AtomicInteger();
        AtomicInteger highCalls = new AtomicInteger();
        low.setListener(lowCalls::incrementAndGet);
        high.setListener(highCalls::incrementAndGet);
        low.setActive(true);
        high.setActive(true);
        keys.send(A);
        assertEquals(0, lowCalls.get());
        assertEquals(1, highCalls.get());
        high.setActive(false);
        assertEquals(1, lowCalls.get(), "the event left behind by the high sink goes to the low one");
        assertEquals(A, low.poll());
    }

    @Test
    void setListenerAfterInputNotifiesAtOnce() {
        KeyboardInput ps2 = keys.sink("i8042", 0);
        ps2.setActive(true);
        keys.send(A);
        AtomicInteger calls = new AtomicInteger();
        ps2.setListener(calls::incrementAndGet);
        assertEquals(1, calls.get());
    }

    @Test
    void overflowIsCountedAndDropsNewest() {
        KeyboardDistributor small = new KeyboardDistributor(3);
        assertTrue(small.send(A));
        assertEquals(2, small.sendAll(List.of(A, B, B, B)));
        assertFalse(small.send(B));
        assertEquals(3, small.dropped());
        assertEquals(3, small.queued());
        KeyboardInput s = small.sink("i8042", 0);
        s.setActive(true);
        assertEquals(A, s.poll());
        assertEquals(A, s.poll());
        assertEquals(B, s.poll());
        assertNull(s.poll());
        assertThrows(IllegalArgumentException.class, () -> new KeyboardDistributor(0));
    }

    @Test
    void describesSinks() {
        keys.sink("i8042", 0).setActive(true);
        keys.sink("vmbus-keyboard", 1);
        assertEquals(List.of("vmbus-keyboard (elevation 1, inactive)", "i8042 (elevation 0, active)"),
                keys.describeSinks());
    }

    @Test
    void concurrentSendersLoseNothing() throws InterruptedException {
        KeyboardInput s = keys.sink("i8042", 0);
        s.setActive(true);
        Thread[] senders = new Thread[4];
        for (int t = 0; t < senders.length; t++) {
            senders[t] = new Thread(() -> {
                for (int i = 0; i < 500; i++) {
                    keys.send(A);
                }
            });
            senders[t].start();
        }
        int taken = 0;
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (taken < 2000 && System.nanoTime() < deadline) {
            if (s.poll() != null) {
                taken++;
            }
        }
        for (Thread t : senders) {
            t.join();
        }
        assertEquals(2000, taken);
        assertEquals(0, keys.dropped());
    }
}
