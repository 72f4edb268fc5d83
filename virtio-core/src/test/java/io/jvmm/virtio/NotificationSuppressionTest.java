package io.jvmm.virtio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.LineSets;
import io.jvmm.api.device.PciAddress;
import io.jvmm.api.device.PciDoorbell;
import io.jvmm.api.device.PciPlatform;
import io.jvmm.testkit.FakeBoard;
import io.jvmm.testkit.FakeGuestMemory;
import io.jvmm.testkit.VirtioPciDriver;
import io.jvmm.testkit.VirtioPciDriver.Queue;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/**
 * Interrupt and notification suppression (virtio 1.2 §2.7.7, §2.7.10) in both modes, through the
 * PCI transport and the testkit's driver, and the transport's doorbells.
 */
class NotificationSuppressionTest {
    static final int SLOT = 6;
    static final long RINGS = 0x10000;
    static final long BUF = 0x20000;

    /** Returns every chain it pops, with 0 bytes written; at most {@code budget} per call (-1: all). */
    static final class Echo implements VirtioDevice {
        int budget = -1;
        int calls;
        int served;

        @Override
        public int deviceId() {
            return 0x3F;
        }

        @Override
        public long features() {
            return 0;
        }

        @Override
        public int queueCount() {
            return 2;
        }

        @Override
        public int maxQueueSize(int queue) {
            return 8;
        }

        @Override
        public boolean process(VirtQueue queue, long acked) throws VirtQueueException {
            calls++;
            for (int n = 0; budget < 0 || n < budget; n++) {
                if (!queue.next()) {
                    return false;
                }
                queue.complete(queue.chain().head(), 0);
                served++;
            }
            return false; // stops with chains left, waiting for "something else"
        }
    }

    final FakeGuestMemory ram = new FakeGuestMemory(1 << 20);
    final FakeBoard board = new FakeBoard().withGuestMemory(ram);
    final Echo echo = new Echo();
    final VirtioPciDevice dev = new VirtioPciDevice("echo", new PciAddress(0, SLOT, 0), echo, board);
    final VirtioPciDriver driver = new VirtioPciDriver(dev, ram);
    final int gsi = PciPlatform.intxGsi(SLOT, 0);

    Queue ready(long features, int size) {
        assertTrue(driver.negotiate(VirtioPciDriver.F_VERSION_1 | features));
        Queue q = driver.setUpQueue(0, size, RINGS);
        driver.driverOk();
        return q;
    }

    /** One buffer made available, a notification if the device wants one, a poll; whether it interrupted. */
    boolean roundTrip(Queue q) {
        q.addWritable(BUF, 16);
        q.kick();
        dev.poll();
        boolean interrupted = board.lineLevel(LineSets.IRQ, gsi);
        driver.readIsr();
        return interrupted;
    }

    @Test
    void eventIdxIsOfferedWithTheOtherTransportFeatures() {
        assertEquals(VirtioPciDriver.F_VERSION_1 | VirtioPciDriver.F_RING_INDIRECT_DESC | VirtioPciDriver.F_EVENT_IDX,
                driver.deviceFeatures());
        assertTrue(driver.negotiate(VirtioPciDriver.F_VERSION_1 | VirtioPciDriver.F_EVENT_IDX));
    }

    @Test
    void needEventIsVringNeedEventModulo65536() {
        assertTrue(VirtQueue.needEvent(0, 1, 0), "0 -> 1 crosses 0");
        assertFalse(VirtQueue.needEvent(1, 1, 0), "0 -> 1 does not reach 1");
        assertTrue(VirtQueue.needEvent(3, 5, 2), "2 -> 5 crosses 3");
        assertTrue(VirtQueue.needEvent(65535, 0, 65535), "65535 -> 0 crosses 65535");
        assertTrue(VirtQueue.needEvent(65535, 2, 65534), "65534 -> 2 crosses 65535");
        assertTrue(VirtQueue.needEvent(0, 2, 65534), "65534 -> 2 crosses 0");
        assertFalse(VirtQueue.needEvent(2, 2, 65534), "65534 -> 2 does not reach 2");
        assertFalse(VirtQueue.needEvent(65533, 2, 65534), "65533 is behind 65534");
        assertFalse(VirtQueue.needEvent(7, 5, 5), "no movement, no event");
    }

    @Test
    void withEventIdxTheDeviceInterruptsOnlyWhenTheUsedIndexPassesUsedEvent() throws Exception {
        Queue q = ready(VirtioPciDriver.F_EVENT_IDX, 8);
        q.setUsedEvent(2); // interrupt me once the third buffer is used
        assertFalse(roundTrip(q), "used 0 -> 1 does not pass 2");
        assertFalse(roundTrip(q), "used 1 -> 2 does not pass 2");
        assertTrue(roundTrip(q), "used 2 -> 3 passes 2");
        assertFalse(roundTrip(q), "used 3 -> 4: used_event is behind");
        q.setUsedEvent(4);
        assertTrue(roundTrip(q), "used 4 -> 5 passes 4");
        assertEquals(5, q.takeUsed().size(), "every buffer was used, interrupt or not");
        q.notifyDevice();
        dev.poll();
        assertFalse(board.lineLevel(LineSets.IRQ, gsi), "nothing used, no interrupt, whatever used_event says");
    }

    @Test
    void withEventIdxTheDriverNotifiesOnlyWhileTheDeviceIsIdle() {
        Queue q = ready(VirtioPciDriver.F_EVENT_IDX, 8);
        assertEquals(0, q.availEvent(), "enabling asks for a notification at the first buffer");
        q.addWritable(BUF, 16);
        assertTrue(q.kick(), "the first buffer is notified");
        q.addWritable(BUF, 16);
        assertFalse(q.kick(), "the device has not looked yet: no second notification");
        q.addWritable(BUF, 16);
        assertFalse(q.kick());
        dev.poll();
        assertEquals(3, echo.served, "one poll served all three");
        assertEquals(3, q.availEvent(), "out of work, the device asks for the next buffer");
        q.addWritable(BUF, 16);
        assertTrue(q.kick(), "the next buffer is notified again");
        dev.poll();
        assertEquals(4, echo.served);
    }

    @Test
    void aDeviceThatStopsWithBuffersLeftIsNotifiedOfTheNextOne() {
        Queue q = ready(VirtioPciDriver.F_EVENT_IDX, 8);
        echo.budget = 1;
        q.addWritable(BUF, 16);
        q.addWritable(BUF, 16);
        assertTrue(q.kick());
        dev.poll();
        assertEquals(1, echo.served, "it took one and stopped (waiting for something else)");
        assertEquals(2, q.availEvent(), "the transport asked for a notification at the next new buffer");
        q.addWritable(BUF, 16);
        assertTrue(q.kick(), "so a new buffer wakes it");
        dev.poll();
        assertEquals(2, echo.served);
    }

    /**
     * The driver adds a buffer right after the device found the ring empty, while the device is
     * still finishing its turn (on another CPU in real life). The device armed {@code avail_event}
     * at that buffer, so the driver must be told to notify; the transport must not move
     * {@code avail_event} past it afterwards (it did: the buffer then waited for a later one, and a
     * lone synchronous request hung).
     */
    @Test
    void aBufferAddedAfterTheDeviceFoundTheRingEmptyIsStillNotified() throws Exception {
        Queue[] queue = new Queue[1];
        VirtioDevice racing = new VirtioDevice() {
            @Override
            public int deviceId() {
                return 0x3F;
            }

            @Override
            public long features() {
                return 0;
            }

            @Override
            public int queueCount() {
                return 1;
            }

            @Override
            public int maxQueueSize(int q) {
                return 8;
            }

            @Override
            public boolean process(VirtQueue vq, long acked) throws VirtQueueException {
                while (vq.next()) {
                    vq.complete(vq.chain().head(), 0);
                }
                queue[0].addWritable(BUF, 16); // the driver, between next() == false and the end of the turn
                return false;
            }
        };
        VirtioPciDevice racingDev = new VirtioPciDevice("racing", new PciAddress(0, SLOT, 0), racing, board);
        VirtioPciDriver racingDriver = new VirtioPciDriver(racingDev, ram);
        assertTrue(racingDriver.negotiate(VirtioPciDriver.F_VERSION_1 | VirtioPciDriver.F_EVENT_IDX));
        queue[0] = racingDriver.setUpQueue(0, 8, RINGS);
        racingDriver.driverOk();
        queue[0].addWritable(BUF, 16);
        assertTrue(queue[0].kick());
        racingDev.poll();
        assertEquals(1, queue[0].availEvent(), "avail_event still names the buffer added after the empty look");
        assertTrue(queue[0].kick(), "so the driver notifies for it");
    }

    @Test
    void indicesWrapAt65536InBothDirections() {
        Queue q = ready(VirtioPciDriver.F_EVENT_IDX, 4);
        int notified = 0;
        for (int i = 0; i < 65536 + 10; i++) {
            q.setUsedEvent(q.usedIndex()); // Linux's default: interrupt me for the next buffer
            q.addWritable(BUF, 16);
            if (q.kick()) {
                notified++;
            }
            dev.poll();
            assertTrue(board.lineLevel(LineSets.IRQ, gsi), "buffer " + i + " (used index "
                    + q.usedIndex() + ") interrupted");
            driver.readIsr();
            assertEquals(1, q.takeUsed().size());
        }
        assertEquals(65536 + 10, notified, "every buffer found the device idle, so every one was notified");
        assertEquals(10, q.usedIndex(), "the used index wrapped");
        assertEquals(10, q.availEvent(), "so did avail_event");
        q.setUsedEvent(65535 & (q.usedIndex() + 3));
        assertFalse(roundTrip(q));
    }

    @Test
    void withoutEventIdxNoInterruptSuppressesInterrupts() {
        Queue q = ready(0, 8);
        assertFalse(q.eventIdx());
        q.setNoInterrupt(true);
        assertFalse(roundTrip(q), "VIRTQ_AVAIL_F_NO_INTERRUPT");
        assertFalse(roundTrip(q));
        q.setNoInterrupt(false);
        assertTrue(roundTrip(q), "flag cleared");
        q.setUsedEvent(100); // not negotiated: the field means nothing
        assertTrue(roundTrip(q));
        assertEquals(4, echo.served);
        q.addWritable(BUF, 16);
        assertTrue(q.kick(), "without EVENT_IDX the device never asks for silence");
        assertTrue(q.kick());
    }

    @Test
    void eachQueueHasTwoDoorbellsAndRingingOneProcessesItsQueue() {
        assertEquals(List.of(
                new PciDoorbell(0, 0x3000, 2, OptionalLong.empty()), new PciDoorbell(0, 0x3000, 4, OptionalLong.empty()),
                new PciDoorbell(0, 0x3004, 2, OptionalLong.empty()), new PciDoorbell(0, 0x3004, 4, OptionalLong.empty())),
                dev.doorbells());
        Queue q = ready(VirtioPciDriver.F_EVENT_IDX, 8);
        q.addWritable(BUF, 16);
        int wakes = board.waker().wakes();
        dev.doorbellRung(3); // queue 1's: nothing to do for queue 0
        assertEquals(wakes + 1, board.waker().wakes(), "a ring wakes the poll");
        dev.poll();
        assertEquals(0, echo.served);
        dev.doorbellRung(1); // queue 0's 4-byte doorbell
        dev.poll();
        assertEquals(1, echo.served, "the ring did what a notify write does");
        dev.doorbellRung(99); // no such doorbell: ignored
        dev.doorbellRung(-1);
    }
}
