package io.jvmm.cli;

import java.nio.file.Path;

/** Where logs go: stderr, or {@code --log FILE}. Never into the console stream (stdout). */
final class Logging {
    private Logging() {}

    /**
     * Points the logging backend at {@code file} (null: stderr). Must run before the first logger
     * is created; logback.xml reads the {@code jvmm.log.file} property.
     */
    static void configure(Path file) {
        if (file != null) {
            System.setProperty("jvmm.log.file", file.toAbsolutePath().toString());
        }
    }
}
