package io.jvmm.runtime.sandbox;

/** The agent answered a request with ERROR (e.g. a missing file: errno 2, ENOENT). */
public final class AgentErrorException extends SandboxException {
    private static final long serialVersionUID = 1L;
    private final int errno;

    public AgentErrorException(int errno, String message) {
        super(message);
        this.errno = errno;
    }

    /** The guest's errno value, 0 when the agent gave none. */
    public int errno() {
        return errno;
    }
}
