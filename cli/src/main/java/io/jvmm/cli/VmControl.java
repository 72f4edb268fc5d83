package io.jvmm.cli;

import java.util.List;
import java.util.Map;

/** What the control socket can do to a running VM. Errors are {@link IllegalArgumentException}s for the client. */
interface VmControl {
    /** State and facts, as JSON-friendly values. */
    Map<String, Object> status();

    void pause();

    void resume();

    void reset();

    /**
     * Asks the guest to shut down (presses its power button), or with {@code force} powers the VM off
     * at once.
     *
     * @return what to tell the client (empty for a forced power-off)
     */
    Map<String, Object> shutdown(boolean force);

    /** Pushes a battery update, written as a {@code --battery} spec. */
    void battery(String spec);

    /** Sends key names (see {@code KeyNames}) to the keyboard. */
    void keys(List<String> keys);

    /**
     * Saves the VM to the snapshot directory {@code path}; returns once it is on disk, with what was
     * written (sizes, times). With {@code stop} the run ends afterwards.
     */
    Map<String, Object> snapshot(String path, boolean stop);

    /** Sends text to the host side of COM{@code port}. */
    void serialSend(int port, String text);
}
