package io.jvmm.runtime.vm;

import io.jvmm.runtime.manifest.VmManifest;
import java.util.Objects;

/**
 * Everything needed to build one VM.
 *
 * @param manifest the chipset
 * @param memoryBytes guest RAM
 * @param vcpus number of vCPUs
 * @param payload what to boot
 * @param onReset what a guest reset does
 */
public record VmSpec(VmManifest manifest, long memoryBytes, int vcpus, GuestPayload payload, ResetPolicy onReset) {
    public VmSpec {
        Objects.requireNonNull(manifest, "manifest");
        Objects.requireNonNull(payload, "payload");
        Objects.requireNonNull(onReset, "onReset");
    }
}
