package io.jvmm.runtime.snapshot;

/**
 * A snapshot could not be written or read. {@link #isConfiguration()} is true for what the user can
 * fix (a wrong, truncated or corrupted snapshot, a PATH that exists, a snapshot for another host):
 * exit code 2; false for host failures (disk full, I/O error): exit code 1.
 */
public final class SnapshotException extends Exception {
    private final boolean configuration;

    public SnapshotException(String message, boolean configuration) {
        super(message);
        this.configuration = configuration;
    }

    public SnapshotException(String message, boolean configuration, Throwable cause) {
        super(message, cause);
        this.configuration = configuration;
    }

    /** A user error (exit code 2) rather than a host failure (1). */
    public boolean isConfiguration() {
        return configuration;
    }
}
