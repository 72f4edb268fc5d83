package io.jvmm.virtio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.LineSets;
import io.jvmm.api.device.PciAddress;
import io.jvmm.api.device.PciPlatform;
import io.jvmm.testkit.FakeBoard;
import io.jvmm.testkit.FakeGuestMemory;
import io.jvmm.testkit.VirtioPciDriver;
import io.jvmm.testkit.VirtioPciDriver.Queue;
import io.jvmm.testkit.VirtioPciDriver.Used;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Chains returned together (virtio 1.2 §2.7.8, §5.1.6.4.2): {@link VirtQueue#addUsed} writes used
 * elements the driver cannot see yet, {@link VirtQueue#publishUsed} moves the used index over all of
 * them at once, and the interrupt decision (§2.7.10) covers the whole step.
 */
class UsedBatchTest {
    static final int SLOT = 6;
    static final long RINGS = 0x10000;
    static final long BUF = 0x20000;

    /** Pops every chain the driver made available and returns them all in one publication. */
    final class Batcher implements VirtioDevice {
        /** The used index the driver saw after each addUsed. */
        final List<Integer> seenWhileAdding = new ArrayList<>();

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
        public int maxQueueSize(int queue) {
            return 8;
        }

        @Override
        public boolean process(VirtQueue queue, long acked) throws VirtQueueException {
            while (queue.next()) {
                queue.addUsed(queue.chain().head(), 100 + queue.chain().head());
                seenWhileAdding.add(q.usedIndex());
            }
            queue.publishUsed();
            return false;
        }
    }

    final FakeGuestMemory ram = new FakeGuestMemory(1 << 20);
    final FakeBoard board = new FakeBoard().withGuestMemory(ram);
    final Batcher batcher = new Batcher();
    final VirtioPciDevice dev = new VirtioPciDevice("batch", new PciAddress(0, SLOT, 0), batcher, board);
    final VirtioPciDriver driver = new VirtioPciDriver(dev, ram);
    final int gsi = PciPlatform.intxGsi(SLOT, 0);
    Queue q;

    void ready(long features) {
        assertTrue(driver.negotiate(VirtioPciDriver.F_VERSION_1 | features));
        q = driver.setUpQueue(0, 8, RINGS);
        driver.driverOk();
    }

    /** Makes {@code n} buffers available, notifies, polls; whether the device interrupted. */
    boolean batch(int n) {
        for (int i = 0; i < n; i++) {
            q.addWritable(BUF + 0x100L * i, 64);
        }
        q.notifyDevice();
        dev.poll();
        boolean interrupted = board.lineLevel(LineSets.IRQ, gsi);
        driver.readIsr();
        return interrupted;
    }

    @Test
    void theUsedIndexMovesOnceByTheWholeBatch() {
        ready(0);
        batch(3);
        assertEquals(List.of(0, 0, 0), batcher.seenWhileAdding, "no element is visible before publishUsed");
        assertEquals(3, q.usedIndex(), "one step over all three");
        assertEquals(List.of(new Used(0, 100), new Used(1, 101), new Used(2, 102)), q.takeUsed());
    }

    @Test
    void batchesWrapTheRingAndTheIndexInOrder() {
        ready(0);
        List<Used> all = new ArrayList<>();
        for (int round = 0; round < 5; round++) { // 5 x 3 over an 8-entry ring: elements wrap
            batch(3);
            assertEquals(3 * (round + 1), q.usedIndex());
            all.addAll(q.takeUsed());
        }
        assertEquals(15, all.size());
        for (Used u : all) {
            assertEquals(100 + u.id(), u.length(), "each element holds its own chain's length");
        }
    }

    @Test
    void withEventIdxABatchThatPassesUsedEventInterruptsEvenIfItDoesNotEndThere() {
        ready(VirtioPciDriver.F_EVENT_IDX);
        q.setUsedEvent(1); // interrupt once the second buffer is used
        assertTrue(batch(3), "used 0 -> 3 passes 1 (vring_need_event over the whole step)");
        q.takeUsed();
        q.setUsedEvent(6);
        assertFalse(batch(3), "used 3 -> 6 does not reach 6");
        q.takeUsed();
        assertTrue(batch(2), "used 6 -> 8 passes 6");
    }

    @Test
    void publishingNothingMovesNothing() throws Exception {
        ready(0);
        VirtQueue vq = new VirtQueue(0, 8, ram);
        vq.publishUsed(); // a disabled queue with nothing added: no write at all
        batch(0);
        assertEquals(0, q.usedIndex());
        assertFalse(board.lineLevel(LineSets.IRQ, gsi));
    }
}
