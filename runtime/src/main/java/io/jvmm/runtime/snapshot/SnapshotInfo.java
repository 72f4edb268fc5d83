package io.jvmm.runtime.snapshot;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What {@code snapshot.json} says: the facts a restore checks before it builds anything, and the
 * length and checksum of every other file of the snapshot.
 *
 * @param jvmmVersion the jvmm that wrote it (informational: compatibility is {@link Snapshot#VERSION})
 * @param created when the snapshot was taken
 * @param hypervisor the backend's name ({@code kvm}); a restore needs the same backend
 * @param arch the guest architecture's label ({@code x86_64})
 * @param memoryBytes guest RAM
 * @param vcpus vCPU count
 * @param manifest the board, as the canonical manifest document ({@code ManifestJson})
 * @param payload what was booted, whose bytes are under {@code payload/}
 * @param resetPolicy {@code restart} or {@code exit}
 * @param files every other file by its path relative to the snapshot directory
 */
public record SnapshotInfo(String jvmmVersion, Instant created, String hypervisor, String arch, long memoryBytes,
        int vcpus, String manifest, PayloadInfo payload, String resetPolicy, Map<String, FileSum> files) {
    public SnapshotInfo {
        Objects.requireNonNull(jvmmVersion, "jvmmVersion");
        Objects.requireNonNull(created, "created");
        Objects.requireNonNull(hypervisor, "hypervisor");
        Objects.requireNonNull(arch, "arch");
        Objects.requireNonNull(manifest, "manifest");
        Objects.requireNonNull(payload, "payload");
        Objects.requireNonNull(resetPolicy, "resetPolicy");
        files = Collections.unmodifiableMap(new LinkedHashMap<>(files));
    }

    /**
     * The payload: {@code firmware} (file {@code payload/firmware.bin}) or {@code linux} (files
     * {@code payload/kernel}, {@code payload/cmdline} and, if there was one, {@code payload/initrd}).
     *
     * @param kind {@code firmware} or {@code linux}
     * @param name where it was loaded from when the VM was first booted
     * @param acpi whether the payload was given ACPI tables made from the board (a reset reloads them)
     */
    public record PayloadInfo(String kind, String name, boolean acpi) {
        public PayloadInfo {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(name, "name");
        }
    }

    /**
     * One file's length and checksum.
     *
     * @param length bytes
     * @param algorithm {@code sha-256}, or {@code crc32c} for {@code memory.bin}
     * @param digest lower-case hex
     */
    public record FileSum(long length, String algorithm, String digest) {
        public FileSum {
            Objects.requireNonNull(algorithm, "algorithm");
            Objects.requireNonNull(digest, "digest");
        }
    }
}
