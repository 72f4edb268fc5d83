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
 * @param name what the VM's threads are called after: {@code NAME-vcpu-0}, {@code NAME-devices}
 *     ({@value #DEFAULT_NAME} by default); a process that runs many VMs gives each its own, so that
 *     thread dumps and log lines (which name the thread) tell the VMs apart
 */
public record VmSpec(VmManifest manifest, long memoryBytes, int vcpus, GuestPayload payload, ResetPolicy onReset,
        String name) {
    /** The name of a VM that was not given one. */
    public static final String DEFAULT_NAME = "jvmm";

    public VmSpec {
        Objects.requireNonNull(manifest, "manifest");
        Objects.requireNonNull(payload, "payload");
        Objects.requireNonNull(onReset, "onReset");
        Objects.requireNonNull(name, "name");
        if (name.isBlank()) {
            throw new IllegalArgumentException("a VM's name must not be blank");
        }
    }

    /** A VM called {@value #DEFAULT_NAME}. */
    public VmSpec(VmManifest manifest, long memoryBytes, int vcpus, GuestPayload payload, ResetPolicy onReset) {
        this(manifest, memoryBytes, vcpus, payload, onReset, DEFAULT_NAME);
    }

    /** This spec with another name. */
    public VmSpec named(String name) {
        return new VmSpec(manifest, memoryBytes, vcpus, payload, onReset, name);
    }
}
