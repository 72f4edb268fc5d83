package io.jvmm.api.device;

/** Bus-level reasons an access failed. Device-specific conditions are handled inside and return OK. */
public enum IoError {
    INVALID_REGISTER("register not present"),
    INVALID_ACCESS_SIZE("invalid access size"),
    UNALIGNED_ACCESS("unaligned access"),
    NO_RESPONSE("device didn't respond");

    private final String description;

    IoError(String description) {
        this.description = description;
    }

    public String description() {
        return description;
    }
}
