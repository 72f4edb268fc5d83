package io.jvmm.runtime.board;

import io.jvmm.api.device.MessageInterrupts;
import java.util.Objects;

/**
 * The message-interrupt sender every device of one board gets when the board was built for a
 * hypervisor that delivers MSIs: the board is built before the partition exists, so this forwards
 * to nothing (messages are dropped; no vCPU runs yet) until {@link Chipset#connectMessageInterrupts}
 * names the partition's sender. One volatile read per message.
 */
final class LateMessageInterrupts implements MessageInterrupts {
    private static final MessageInterrupts DROP = (address, data) -> { };
    private volatile MessageInterrupts target = DROP;

    void connect(MessageInterrupts target) {
        this.target = Objects.requireNonNull(target, "target");
    }

    boolean connected() {
        return target != DROP;
    }

    @Override
    public void signal(long address, int data) {
        target.signal(address, data);
    }
}
