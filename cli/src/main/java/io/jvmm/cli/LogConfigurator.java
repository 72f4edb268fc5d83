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
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * Configures logging in code instead of logback.xml: parsing XML (xerces and logback's model
 * classes) cost about 100 ms of the first log call, which lands inside VM start-up. Logs never go
 * to stdout, the console stream: stderr by default, the file of {@code run --log} (property
 * {@code jvmm.log.file}); the level is WARN unless {@code -Djvmm.log.level=…}.
 *
 * <p>The runtime's classes take their loggers when they are loaded, so this runs during every
 * start-up, while most runs never log a line. Only the level is set here; the appender that
 * formats lines (pattern parsing, time-zone data, the stream or file) is made by the first event
 * that passes the level ({@link FirstEventAppender}): about 15 ms less start-up for a run that
 * logs nothing (measured with {@code -Xlog:class+load:uptime}).
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_HIGH_PRIORITY)
public final class LogConfigurator extends ContextAwareBase implements Configurator {
    static final String PATTERN = "%d{HH:mm:ss.SSS} %-5level [%thread] %logger{0}: %msg%n";

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        FirstEventAppender appender = new FirstEventAppender(System.getProperty("jvmm.log.file"));
        appender.setContext(context);
        appender.setName("LOG");
        appender.start();

        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.toLevel(System.getProperty("jvmm.log.level"), Level.WARN));
        root.addAppender(appender);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    /**
     * Hands every event to the real appender, which the first event makes: stderr, or {@code file}
     * when it is set. Unsynchronized, as the real appender is: events of many threads (the vCPU
     * and device threads of many VMs) are formatted in parallel, and only the write of a finished
     * line is serialized (by the real appender). The real appender is made once, under
     * {@code createLock} (double-checked: after that, an event costs one volatile read), and never
     * after {@link #stop()}.
     */
    static final class FirstEventAppender extends UnsynchronizedAppenderBase<ILoggingEvent> {
        private final String file;
        private final Object createLock = new Object();
        private volatile OutputStreamAppender<ILoggingEvent> target;

        FirstEventAppender(String file) {
            this.file = file;
        }

        @Override
        protected void append(ILoggingEvent event) {
            OutputStreamAppender<ILoggingEvent> t = target;
            if (t == null) {
                synchronized (createLock) {
                    t = target;
                    if (t == null) {
                        if (!isStarted()) {
                            return; // stopped since doAppend looked: open no stream or file now
                        }
                        t = create();
                        target = t;
                    }
                }
            }
            t.doAppend(event);
        }

        private OutputStreamAppender<ILoggingEvent> create() {
            PatternLayoutEncoder encoder = new PatternLayoutEncoder();
            encoder.setContext(getContext());
            encoder.setPattern(PATTERN);
            encoder.start();
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
            appender.setContext(getContext());
            appender.setName("LOG-" + (file != null ? "file" : "stderr"));
            appender.setEncoder(encoder);
            appender.start();
            return appender;
        }

        /**
         * Marks this appender stopped first, so that no event makes a target from here on, then
         * stops the target if one was made. (An event that read the target just before is dropped
         * by the stopped target, as logback drops events sent to any stopped appender.)
         */
        @Override
        public void stop() {
            synchronized (createLock) {
                super.stop();
                OutputStreamAppender<ILoggingEvent> t = target;
                if (t != null) {
                    t.stop();
                }
            }
        }
    }
}
