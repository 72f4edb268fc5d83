package io.jvmm.api.resource;

/**
 * The immutable description of a resource: what a manifest says, not the live object.
 *
 * <p>Implementations are records. Each writes its own configuration, so a manifest can be printed
 * without reflection; the matching {@link ResourceResolver#parseHandle} reads it back.
 */
public interface ResourceHandle {
    /** Writes every field of this handle, in a stable order, with the manifest's snake_case names. */
    void writeConfig(ConfigWriter out);
}
