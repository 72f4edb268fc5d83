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
    // logging is configured in code (LogConfigurator); only this module knows the backend
    requires ch.qos.logback.classic;
    requires ch.qos.logback.core;

    // picocli reflects over the annotated command classes
    opens io.jvmm.cli to info.picocli;
    // SLF4J instantiates LogProvider, the provider the launcher names in -Dslf4j.provider
    exports io.jvmm.cli to org.slf4j;

    uses io.jvmm.api.resource.ResourceResolver;
    uses io.jvmm.api.hv.HypervisorProvider;

    provides ch.qos.logback.classic.spi.Configurator with io.jvmm.cli.LogConfigurator;
}
