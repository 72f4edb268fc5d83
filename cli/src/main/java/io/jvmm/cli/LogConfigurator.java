package io.jvmm.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.FileAppender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * Configures logging in code instead of logback.xml: parsing XML (xerces and logback's model
 * classes) cost about 100 ms of the first log call, which lands inside VM start-up. Logs never go
 * to stdout, the console stream: stderr by default, the file of {@code run --log} (property
 * {@code jvmm.log.file}); the level is WARN unless {@code -Djvmm.log.level=…}.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_HIGH_PRIORITY)
public final class LogConfigurator extends ContextAwareBase implements Configurator {
    static final String PATTERN = "%d{HH:mm:ss.SSS} %-5level [%thread] %logger{0}: %msg%n";

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(PATTERN);
        encoder.start();

        String file = System.getProperty("jvmm.log.file");
        OutputStreamAppender<ILoggingEvent> appender;
        if (file != null) {
            FileAppender<ILoggingEvent> f = new FileAppender<>();
            f.setFile(file);
            f.setAppend(true);
            appender = f;
        } else {
            ConsoleAppender<ILoggingEvent> c = new ConsoleAppender<>();
            c.setTarget("System.err");
            appender = c;
        }
        appender.setContext(context);
        appender.setName("LOG");
        appender.setEncoder(encoder);
        appender.start();

        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.toLevel(System.getProperty("jvmm.log.level"), Level.WARN));
        root.addAppender(appender);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }
}
