package io.jvmm.runtime.sandbox;

/**
 * A frame broke the sandbox protocol (docs/sandbox-protocol.md): a bad length, an unknown type, a
 * field running past the body, a value out of range, or a frame not allowed in the current state.
 * The message names the frame; the connection is not usable afterwards.
 */
public final class SandboxProtocolException extends SandboxException {
    private static final long serialVersionUID = 1L;

    public SandboxProtocolException(String message) {
        super("sandbox protocol error: " + message);
    }
}
