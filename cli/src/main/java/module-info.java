/**
 * The {@code jvmm} command.
 *
 * @uses io.jvmm.api.resource.ResourceResolver
 * @uses io.jvmm.api.hv.HypervisorProvider
 */
module io.jvmm.cli {
    requires io.jvmm.runtime;
    requires info.picocli;
    requires org.slf4j;
    requires com.fasterxml.jackson.databind;

    // picocli reflects over the annotated command classes
    opens io.jvmm.cli to info.picocli;

    uses io.jvmm.api.resource.ResourceResolver;
    uses io.jvmm.api.hv.HypervisorProvider;
}
