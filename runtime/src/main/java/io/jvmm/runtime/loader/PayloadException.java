package io.jvmm.runtime.loader;

/**
 * A payload (kernel, initrd, firmware image, command line) cannot be loaded; the message names the
 * file or setting and, where there is one, the fix. Meant for the user, without a stack trace.
 */
public class PayloadException extends Exception {
    public PayloadException(String message) {
        super(message);
    }

    public PayloadException(String message, Throwable cause) {
        super(message, cause);
    }
}
