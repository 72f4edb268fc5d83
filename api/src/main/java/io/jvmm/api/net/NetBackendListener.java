package io.jvmm.api.net;

/**
 * Told by a {@link NetBackend}, from any thread (its own poller), that a direction the device
 * found blocked can move again. Each call answers one earlier "nothing now" from the device, so a
 * device that waits is woken exactly once; implementations only set a flag and wake the board.
 */
public interface NetBackendListener {
    /** A frame is waiting, after {@link NetBackend#receive} returned 0. */
    void readable();

    /** The backend can take frames again, after {@link NetBackend#send} returned false. */
    void writable();
}
