package io.jvmm.cli;

import io.jvmm.runtime.manifest.VmManifest;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;

/**
 * The interactive serial console: when a COM port uses {@code stdio} and stdin is a terminal, the
 * terminal goes raw and Ctrl-A escapes are handled; both are undone on every exit path.
 */
final class Console {
    private final InputStream originalIn;
    private final TerminalMode terminal;
    private volatile Runnable quit = () -> {};
    private boolean restored;

    private Console(InputStream originalIn, TerminalMode terminal) {
        this.originalIn = originalIn;
        this.terminal = terminal;
    }

    /** Sets the console up for {@code manifest}; a no-op when no port uses stdio. */
    static Console attach(VmManifest manifest, PrintWriter messages) {
        InputStream in = System.in;
        if (!RunCommand.usesStdio(manifest)) {
            return new Console(in, null);
        }
        TerminalMode terminal = TerminalMode.rawIfTerminal();
        Console console = new Console(in, terminal);
        if (terminal.isRaw()) {
            PrintStream tty = System.err;
            System.setIn(new ConsoleEscape(in, () -> console.quit.run(), tty));
            messages.print("[jvmm] serial console on this terminal; Ctrl-A x quits, Ctrl-A h lists the keys\r\n");
            messages.flush();
        }
        return console;
    }

    /** What Ctrl-A x does. */
    void onQuit(Runnable action) {
        this.quit = action;
    }

    /** Restores the terminal and stdin. Idempotent. */
    synchronized void restore() {
        if (restored) {
            return;
        }
        restored = true;
        if (terminal != null) {
            terminal.close();
        }
        System.setIn(originalIn);
    }
}
