/**
 * The jvmm runtime: finds resolvers and hypervisors, builds manifests, resolves them into a board,
 * loads payloads and runs the VM.
 *
 * @uses io.jvmm.api.resource.ResourceResolver
 * @uses io.jvmm.api.hv.HypervisorProvider
 */
module io.jvmm.runtime {
    requires transitive io.jvmm.api;
    requires org.slf4j;
    requires com.fasterxml.jackson.databind;

    exports io.jvmm.runtime.registry;
    exports io.jvmm.runtime.manifest;
    exports io.jvmm.runtime.board;
    exports io.jvmm.runtime.loader;
    exports io.jvmm.runtime.vm;

    uses io.jvmm.api.resource.ResourceResolver;
    uses io.jvmm.api.hv.HypervisorProvider;
}
