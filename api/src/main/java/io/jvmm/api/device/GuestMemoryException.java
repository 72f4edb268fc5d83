package io.jvmm.api.device;

/**
 * A guest-physical range a device tried to reach is not entirely RAM (or is malformed: a negative
 * length, a wrap past 2^64). The guest chose the address, so this is the guest's error, not the
 * VMM's: the device answers with its error state. Carries no stack trace (it is the expected
 * outcome of a hostile descriptor, and cheap to make).
 */
public final class GuestMemoryException extends Exception {
    private static final long serialVersionUID = 1L;

    private final long gpa;
    private final long length;

    public GuestMemoryException(long gpa, long length, String reason) {
        super(reason, null, false, false);
        this.gpa = gpa;
        this.length = length;
    }

    /** The first guest-physical address of the failed access. */
    public long gpa() {
        return gpa;
    }

    /** Its length in bytes. */
    public long length() {
        return length;
    }

    /** {@code guest range [0x…, +0x…): reason}; built only when asked for. */
    @Override
    public String getMessage() {
        return "guest range 0x" + Long.toHexString(gpa) + " (+0x" + Long.toHexString(length) + "): "
                + super.getMessage();
    }
}
