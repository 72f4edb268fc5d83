package io.jvmm.dev.i8042;

/**
 * A PS/2 mouse stub, enough for guests to detect it: reset answers ACK, self-test passed and
 * device id 0; every other byte (commands and their data) is acknowledged. It never moves.
 */
final class Ps2Mouse {
    static final int QUEUE_CAPACITY = 16;
    static final int ACK = 0xFA;
    static final int SELF_TEST_PASSED = 0xAA;
    static final int DEVICE_ID = 0x00;
    static final int CMD_RESET = 0xFF;

    private final ByteQueue out = new ByteQueue(QUEUE_CAPACITY);

    void reset() {
        out.clear();
    }

    boolean hasOutput() {
        return !out.isEmpty();
    }

    int take() {
        return out.pop();
    }

    void write(int value) {
        if (value == CMD_RESET) {
            out.clear();
            out.push(ACK);
            out.push(SELF_TEST_PASSED);
            out.push(DEVICE_ID);
        } else {
            out.push(ACK);
        }
    }

    byte[] save() {
        return out.toArray();
    }

    void restore(byte[] queue) {
        out.load(queue);
    }
}
