package io.jvmm.dev.i8042;

import io.jvmm.api.support.ByteRing;

/**
 * A PS/2 mouse stub, enough for guests to detect it: reset answers ACK, self-test passed and
 * device id 0; every other byte (commands and their data) is acknowledged. It never moves.
 */
final class Ps2Mouse {
    static final int QUEUE_CAPACITY = 16;
    static final int ACK = 0xFA;
    /** Replaces the newest byte of a full queue: the PS/2 overrun marker. */
    static final int OVERRUN = 0x00;
    static final int SELF_TEST_PASSED = 0xAA;
    static final int DEVICE_ID = 0x00;
    static final int CMD_RESET = 0xFF;

    private final ByteRing out = new ByteRing(QUEUE_CAPACITY);

    boolean hasOutput() {
        return !out.isEmpty();
    }

    int take() {
        return out.pop();
    }

    void write(int value) {
        if (value == CMD_RESET) {
            out.clear();
            send(ACK);
            send(SELF_TEST_PASSED);
            send(DEVICE_ID);
        } else {
            send(ACK);
        }
    }

    byte[] save() {
        return out.toArray();
    }

    void restore(byte[] queue) {
        out.load(queue);
    }

    /** Queues a byte for the controller; when the queue is full its newest byte becomes the overrun marker. */
    private void send(int b) {
        if (!out.push(b)) {
            out.replaceNewest(OVERRUN);
        }
    }
}
