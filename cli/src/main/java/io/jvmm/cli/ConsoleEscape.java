package io.jvmm.cli;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;

/**
 * Filters console input for the escape key, QEMU style: Ctrl-A then {@code x} quits, Ctrl-A then
 * {@code h} lists the keys, Ctrl-A twice sends one Ctrl-A to the guest; everything else passes.
 */
final class ConsoleEscape extends FilterInputStream {
    static final int CTRL_A = 0x01;
    static final String HELP = "\r\n[jvmm console] Ctrl-A x: quit   Ctrl-A h: this help   Ctrl-A Ctrl-A: send Ctrl-A\r\n";

    private final Runnable quit;
    private final PrintStream messages;
    private boolean escape;
    private boolean quitted;
    private int pending = -1;

    /**
     * @param in the raw console input
     * @param quit called once when the user asks to quit
     * @param messages where help goes (the terminal, never the guest)
     */
    ConsoleEscape(InputStream in, Runnable quit, PrintStream messages) {
        super(in);
        this.quit = quit;
        this.messages = messages;
    }

    @Override
    public int read() throws IOException {
        while (!quitted) {
            if (pending >= 0) {
                int b = pending;
                pending = -1;
                return b;
            }
            int b = super.read();
            if (b < 0) {
                return b;
            }
            if (!escape) {
                if (b == CTRL_A) {
                    escape = true;
                    continue;
                }
                return b;
            }
            escape = false;
            switch (b) {
                case 'x', 'X' -> {
                    quitted = true;
                    quit.run();
                    return -1;
                }
                case 'h', 'H', '?' -> {
                    messages.print(HELP);
                    messages.flush();
                }
                case CTRL_A -> {
                    return CTRL_A;
                }
                default -> {
                    pending = b;
                    return CTRL_A;
                }
            }
        }
        return -1;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        int first = read();
        if (first < 0) {
            return -1;
        }
        b[off] = (byte) first;
        int n = 1;
        // hand over what is already buffered, without blocking for more
        while (n < len && (pending >= 0 || (!escape && in.available() > 0))) {
            int next = read();
            if (next < 0) {
                break;
            }
            b[off + n++] = (byte) next;
        }
        return n;
    }

    @Override
    public boolean markSupported() {
        return false;
    }
}
