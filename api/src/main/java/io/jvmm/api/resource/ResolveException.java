package io.jvmm.api.resource;

/**
 * A resource could not be resolved. The message is shown to the user as is: say what is wrong and
 * how to fix it.
 */
public class ResolveException extends Exception {
    public ResolveException(String message) {
        super(message);
    }

    public ResolveException(String message, Throwable cause) {
        super(message, cause);
    }
}
