package io.jvmm.dev.debugcon;

import io.jvmm.api.support.StateFormat;

/**
 * The debugcon's state: the output the guest wrote that the backend has not taken yet (a guest
 * cannot read it back, but a snapshot must not lose it, as a 16550's unsent TX bytes are not lost).
 * Saved as {@code serial.debugcon} version 2 (version 1 saved nothing and is no longer read); power-on
 * is {@link #initial()}, nothing pending.
 *
 * @param pending bytes not yet taken by the backend, oldest first, at most {@link DebugconDevice#BUFFER_SIZE}
 */
record DebugconState(byte[] pending) {
    static final StateFormat<DebugconState> FORMAT = StateFormat.of("serial.debugcon", 2, 2,
            (s, out) -> out.bytes("pending", s.pending),
            // version 1 was an empty blob (the queued output was not saved): refused, not misread
            in -> new DebugconState(in.bytes("pending", DebugconDevice.BUFFER_SIZE)));

    DebugconState {
        if (pending.length > DebugconDevice.BUFFER_SIZE) {
            throw new IllegalArgumentException("debugcon state: " + pending.length + " pending bytes exceed the buffer of "
                    + DebugconDevice.BUFFER_SIZE);
        }
        pending = pending.clone();
    }

    static DebugconState initial() {
        return new DebugconState(new byte[0]);
    }

    @Override
    public byte[] pending() {
        return pending.clone();
    }
}
