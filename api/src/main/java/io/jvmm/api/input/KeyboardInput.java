package io.jvmm.api.input;

/**
 * A stream of host key events for one consuming device. Non-blocking; the listener is called
 * (from any thread) when events arrive.
 */
public interface KeyboardInput {
    /** The next event, or null when none is waiting. Events are kept until taken. */
    KeyEvent poll();

    void setListener(Runnable listener);

    /** Whether this consumer currently wants input (e.g. the guest enabled its keyboard). */
    void setActive(boolean active);
}
