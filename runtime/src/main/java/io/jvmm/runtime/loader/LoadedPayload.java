package io.jvmm.runtime.loader;

import io.jvmm.api.hv.CpuBootState;
import java.util.Objects;

/**
 * A payload written into guest memory.
 *
 * @param bootState the state the boot vCPU must start in
 * @param description one line for the log, e.g. which protocol, entry point and initrd placement
 */
public record LoadedPayload(CpuBootState bootState, String description) {
    public LoadedPayload {
        Objects.requireNonNull(bootState, "bootState");
        Objects.requireNonNull(description, "description");
    }
}
