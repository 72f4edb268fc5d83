package io.jvmm.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Where logs go: stderr, or {@code --log FILE}. Never into the console stream (stdout). */
final class Logging {
    private Logging() {}

    /**
     * Points the logging backend at {@code file} (null: stderr). Must run before the first logger
     * is created; {@link LogConfigurator} reads the {@code jvmm.log.file} property. A file that cannot be
     * written is a configuration error now, rather than logs silently lost later.
     */
    static void configure(Path file) {
        if (file == null) {
            return;
        }
        check(file);
        try (OutputStream probe = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            // opened for append, as the backend will
        } catch (IOException e) {
            throw UserError.config("--log " + file + ": cannot write: " + VmOptions.describe(e));
        }
        System.setProperty("jvmm.log.file", file.toAbsolutePath().toString());
    }

    /** What can be known about {@code file} without creating or opening it ({@code jvmm check}). */
    static void check(Path file) {
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            throw UserError.config("--log " + file + ": directory " + dir + " does not exist; create it or pick another path");
        }
        if (Files.isDirectory(file)) {
            throw UserError.config("--log " + file + ": is a directory; give a file name");
        }
        if (Files.exists(file) ? !Files.isWritable(file) : dir != null && !Files.isWritable(dir)) {
            throw UserError.config("--log " + file + ": cannot write: permission denied");
        }
    }
}
