package io.jvmm.cli;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LogbackServiceProvider;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * Logback as SLF4J's backend, configured by {@link LogConfigurator} directly. The launcher names
 * this class in {@code -Dslf4j.provider}, so SLF4J neither scans the modules for providers nor
 * runs logback's {@code ContextInitializer}: that one looks for configuration files and
 * configurator services, checks versions and reports its duration with the process's first
 * invokedynamic string concatenation, about 5% of the main thread's start-up samples (JFR, firmware
 * run) although jvmm's own configuration is a few lines of code. Without the property (tests,
 * programs embedding the cli) logback's own provider runs the same {@link LogConfigurator} as a
 * configurator service.
 */
public final class LogProvider implements SLF4JServiceProvider {
    private final LoggerContext context = new LoggerContext();
    private final IMarkerFactory markers = new BasicMarkerFactory();
    private final LogbackMDCAdapter mdc = new LogbackMDCAdapter();

    @Override
    public void initialize() {
        context.setName("default");
        context.setMDCAdapter(mdc);
        LogConfigurator configurator = new LogConfigurator();
        configurator.setContext(context);
        configurator.configure(context);
        context.start();
    }

    @Override
    public ILoggerFactory getLoggerFactory() {
        return context;
    }

    @Override
    public IMarkerFactory getMarkerFactory() {
        return markers;
    }

    @Override
    public MDCAdapter getMDCAdapter() {
        return mdc;
    }

    @Override
    public String getRequestedApiVersion() {
        return LogbackServiceProvider.REQUESTED_API_VERSION;
    }
}
