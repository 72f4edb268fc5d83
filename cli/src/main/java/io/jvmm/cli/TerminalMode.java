package io.jvmm.cli;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Puts the controlling terminal into raw mode for the serial console and restores it on every
 * exit path (normal return, exception, signal via a shutdown hook). Uses {@code stty} on
 * {@code /dev/tty}, so it needs no native code; without a terminal it does nothing.
 */
final class TerminalMode implements AutoCloseable {
    private final String saved;
    private final Thread hook;
    private boolean restored;

    private TerminalMode(String saved) {
        this.saved = saved;
        this.hook = new Thread(this::restore, "jvmm-terminal-restore");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** Raw mode when stdin is a terminal, else a no-op handle. */
    static TerminalMode rawIfTerminal() {
        if (System.console() == null || !new File("/dev/tty").canRead()) {
            return new TerminalMode(null);
        }
        String saved = stty("-g");
        if (saved == null || stty("raw", "-echo") == null) {
            return new TerminalMode(null);
        }
        return new TerminalMode(saved.trim());
    }

    boolean isRaw() {
        return saved != null;
    }

    synchronized void restore() {
        if (restored || saved == null) {
            return;
        }
        restored = true;
        stty(saved);
    }

    @Override
    public void close() {
        restore();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or ran
        }
    }

    private static String stty(String... args) {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "stty";
        System.arraycopy(args, 0, cmd, 1, args.length);
        try {
            Process p = new ProcessBuilder(cmd).redirectInput(new File("/dev/tty"))
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(5, TimeUnit.SECONDS) || p.exitValue() != 0) {
                return null;
            }
            return out;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
