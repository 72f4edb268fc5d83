package io.jvmm.dev.virtiorng;

import io.jvmm.api.device.DmaMemory;
import io.jvmm.virtio.DescriptorChain;
import io.jvmm.virtio.VirtQueue;
import io.jvmm.virtio.VirtQueueException;
import io.jvmm.virtio.VirtioDevice;
import java.util.Random;

/**
 * The entropy device (virtio 1.2 §5.4): one request queue; the device fills each chain's
 * device-writable buffers with random bytes and returns it with the count written. No features,
 * no configuration. A chain with more than {@link #MAX_PER_REQUEST} writable bytes gets that many
 * (the device may write less than offered), so a huge buffer cannot hold the device thread. One
 * call serves at most {@link #MAX_PER_CALL} bytes (and at most a queue's worth of chains); when it
 * stops there, chains may be left, and it asks the transport for another call (the driver sends no
 * new notification for chains it already announced).
 */
final class VirtioRng implements VirtioDevice {
    static final int DEVICE_ID = 4;
    static final int QUEUE_SIZE = 64;
    static final int MAX_PER_REQUEST = 64 * 1024;
    static final int MAX_PER_CALL = 4 * MAX_PER_REQUEST;

    private final Random random;
    private final DmaMemory memory;
    private final byte[] scratch = new byte[4096];

    /** @param random the source ({@code SecureRandom} in jvmm; a seeded one in tests) */
    VirtioRng(Random random, DmaMemory memory) {
        this.random = random;
        this.memory = memory;
    }

    @Override
    public int deviceId() {
        return DEVICE_ID;
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
        return QUEUE_SIZE;
    }

    @Override
    public boolean process(VirtQueue queue, long acked) throws VirtQueueException {
        long budget = MAX_PER_CALL;
        for (int served = 0; served < queue.size(); served++) {
            if (budget <= 0 || !queue.next()) {
                return budget <= 0; // stopped by the budget: chains may be left
            }
            DescriptorChain chain = queue.chain();
            int want = (int) Math.min(chain.writableLength(), MAX_PER_REQUEST);
            int done = 0;
            while (done < want) {
                int n = Math.min(scratch.length, want - done);
                random.nextBytes(scratch);
                done += chain.write(memory, done, scratch, 0, n);
            }
            queue.complete(chain.head(), done);
            budget -= Math.max(done, 1);
        }
        return true; // a queue's worth served: there may be more (the next call may find none)
    }
}
