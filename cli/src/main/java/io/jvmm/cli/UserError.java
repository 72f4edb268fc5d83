package io.jvmm.cli;

/** An error the user can fix: printed as one line, no stack trace. */
final class UserError extends RuntimeException {
    private final int exitCode;

    UserError(String message, int exitCode) {
        super(message);
        this.exitCode = exitCode;
    }

    /** A usage or configuration error (exit code 2). */
    static UserError config(String message) {
        return new UserError(message, Main.USAGE);
    }

    /** A VM failure (exit code 1). */
    static UserError vm(String message) {
        return new UserError(message, Main.VM_ERROR);
    }

    int exitCode() {
        return exitCode;
    }
}
