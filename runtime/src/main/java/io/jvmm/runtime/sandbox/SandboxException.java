package io.jvmm.runtime.sandbox;

import java.io.IOException;

/** A sandbox could not do what was asked: its VM or agent did not start, answer or finish in time. */
public class SandboxException extends IOException {
    private static final long serialVersionUID = 1L;

    public SandboxException(String message) {
        super(message);
    }

    public SandboxException(String message, Throwable cause) {
        super(message, cause);
    }
}
