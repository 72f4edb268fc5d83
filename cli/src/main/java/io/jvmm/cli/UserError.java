package io.jvmm.cli;

import java.util.List;

/** An error the user can fix: printed as one or more {@code jvmm: } lines, no stack trace. */
final class UserError extends RuntimeException {
    private final int exitCode;
    private final List<String> messages;

    UserError(List<String> messages, int exitCode) {
        super(String.join("\n", messages));
        this.messages = List.copyOf(messages);
        this.exitCode = exitCode;
    }

    /** A usage or configuration error (exit code 2). */
    static UserError config(String message) {
        return new UserError(List.of(message), Main.USAGE);
    }

    /** Several configuration errors found together (exit code 2), each printed as its own message. */
    static UserError config(List<String> messages) {
        return new UserError(messages, Main.USAGE);
    }

    /** A VM failure (exit code 1). */
    static UserError vm(String message) {
        return new UserError(List.of(message), Main.VM_ERROR);
    }

    int exitCode() {
        return exitCode;
    }

    /** Each message, as printed after {@code jvmm: }. */
    List<String> messages() {
        return messages;
    }
}
