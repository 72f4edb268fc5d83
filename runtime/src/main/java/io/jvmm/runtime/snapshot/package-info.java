/**
 * Snapshots: a paused VM saved to a directory ({@code jvmm ctl snapshot PATH}) and continued by a new
 * process ({@code jvmm run --restore PATH}).
 *
 * <h2>Layout (snapshot version 1)</h2>
 * <pre>
 * PATH/
 *   snapshot.json   format "jvmm-snapshot", version 1, jvmm_version, created, hypervisor, arch,
 *                   memory_bytes, vcpus, reset_policy, payload {kind, name, acpi}, files {NAME:
 *                   {length, algorithm, digest}} for every other file, and manifest: the board as the
 *                   manifest document ({@link io.jvmm.runtime.manifest.ManifestJson})
 *   state.bin       the partition's blob, one blob per vCPU, one per device keyed by the device's
 *                   board name, each with its own format, version and length ({@link MachineState})
 *   memory.bin      guest RAM, exactly memory_bytes long, holes (the MMIO gap) left out, all-zero
 *                   pages left as holes of a sparse file ({@link io.jvmm.api.hv.GuestMemory#saveImage});
 *                   restored by mapping it copy-on-write, so it is read only where the guest touches it
 *   payload/        firmware.bin, or kernel, cmdline and (if there was one) initrd: a guest reset after
 *                   a restore reloads these, without the original files
 * </pre>
 *
 * <p>Checksums: SHA-256 for {@code state.bin} and the payload files, always checked on restore;
 * CRC32C for {@code memory.bin}, whose length is always checked but whose content only with {@code
 * --verify-memory}: checking it means reading all of RAM's image, which a restore otherwise reads
 * only page by page as the guest touches it.
 *
 * <p>Writing is atomic ({@link Snapshot#write}): into {@code PATH.partial-PID} next to PATH, every file
 * and directory fsync'd, renamed to PATH, the parent fsync'd. An existing PATH is refused, and a
 * failure removes the temporary directory, so PATH is either a complete snapshot or absent.
 *
 * <p>Compatibility: a snapshot is read only by a jvmm of the same snapshot version, the same
 * hypervisor backend and architecture, with the plugins its manifest names, and on a host that can
 * give the guest its vCPU count; each state blob's own format and version are checked by the
 * partition, vCPU or device that restores it.
 */
package io.jvmm.runtime.snapshot;
