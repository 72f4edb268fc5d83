package io.jvmm.api.hv;

import java.util.Objects;

/**
 * Whether a hypervisor can be used here, and if not, why not and how to fix it.
 *
 * @param available true when VMs can be created
 * @param reason empty when available, else a sentence for the user
 */
public record Availability(boolean available, String reason) {
    public Availability {
        Objects.requireNonNull(reason, "reason");
    }

    public static Availability yes() {
        return new Availability(true, "");
    }

    public static Availability no(String reason) {
        return new Availability(false, reason);
    }
}
