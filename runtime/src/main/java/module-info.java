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
    exports io.jvmm.runtime.acpi;
    exports io.jvmm.runtime.vm;
    exports io.jvmm.runtime.serial;
    exports io.jvmm.runtime.input;
    exports io.jvmm.runtime.snapshot;
    exports io.jvmm.runtime.sandbox;

    uses io.jvmm.api.resource.ResourceResolver;
    uses io.jvmm.api.hv.HypervisorProvider;

    provides io.jvmm.api.resource.ResourceResolver with
            io.jvmm.runtime.serial.DisconnectedSerialResolver,
            io.jvmm.runtime.serial.StdioSerialResolver,
            io.jvmm.runtime.serial.FileSerialResolver,
            io.jvmm.runtime.serial.TcpSerialResolver;

    // System.Logger (what plugins log with, needing only the JDK) goes to SLF4J like jvmm's own logs
    provides java.lang.System.LoggerFinder with io.jvmm.runtime.logging.Slf4jLoggerFinder;
}
