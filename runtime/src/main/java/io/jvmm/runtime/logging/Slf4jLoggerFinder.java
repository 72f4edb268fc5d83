package io.jvmm.runtime.logging;

import java.text.MessageFormat;
import java.util.Arrays;
import java.util.MissingResourceException;
import java.util.Objects;
import java.util.ResourceBundle;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;

/**
 * Routes {@link System.Logger} to SLF4J, so that a plugin can log with the JDK alone (it requires
 * {@code io.jvmm.api} and nothing else) and its lines land where jvmm's own logs go, at the
 * level and in the file the command line chose.
 *
 * <p>The JDK finds this class through {@code ServiceLoader} on the system class loader; the
 * runtime module declares {@code provides java.lang.System.LoggerFinder}, which is enough on the
 * module path. Levels map one to one ({@code WARNING} is SLF4J's {@code WARN}, {@code ALL} is
 * {@code TRACE}, {@code OFF} never logs). A message with parameters is formatted the way the JDK
 * formats it, with {@link MessageFormat} ({@code "port {0}"}), and only when the level is
 * enabled: a disabled level costs a level check and allocates nothing here (a caller's varargs
 * array is the caller's; a {@code Supplier} is not called).
 */
public final class Slf4jLoggerFinder extends System.LoggerFinder {
    private final ILoggerFactory factory;

    /** The provider the JDK instantiates: SLF4J's configured backend. */
    public Slf4jLoggerFinder() {
        this(null);
    }

    /**
     * @param factory where loggers come from; null for SLF4J's backend, looked up on each
     *     logger's first use rather than now, so that the JDK asking for its logger finder early
     *     does not configure the backend before the command line has chosen the log file
     */
    Slf4jLoggerFinder(ILoggerFactory factory) {
        this.factory = factory;
    }

    @Override
    public System.Logger getLogger(String name, Module module) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(module, "module");
        return new Slf4jSystemLogger(name, factory);
    }

    /** One named logger; the SLF4J logger behind it is fetched once, on first use. */
    static final class Slf4jSystemLogger implements System.Logger {
        private final String name;
        private final ILoggerFactory factory;
        // Benign race: every thread that sees null fetches the same logger from the factory.
        private volatile org.slf4j.Logger delegate;

        Slf4jSystemLogger(String name, ILoggerFactory factory) {
            this.name = name;
            this.factory = factory;
        }

        private org.slf4j.Logger delegate() {
            org.slf4j.Logger d = delegate;
            if (d == null) {
                d = factory == null ? LoggerFactory.getLogger(name) : factory.getLogger(name);
                delegate = d;
            }
            return d;
        }

        @Override
        public String getName() {
            return name;
        }

        @Override
        public boolean isLoggable(Level level) {
            org.slf4j.Logger d = delegate();
            return switch (Objects.requireNonNull(level, "level")) {
                case ALL, TRACE -> d.isTraceEnabled();
                case DEBUG -> d.isDebugEnabled();
                case INFO -> d.isInfoEnabled();
                case WARNING -> d.isWarnEnabled();
                case ERROR -> d.isErrorEnabled();
                case OFF -> false;
            };
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
            if (isLoggable(level)) {
                emit(level, localize(bundle, msg), thrown);
            }
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String format, Object... params) {
            if (isLoggable(level)) {
                emit(level, format(localize(bundle, format), params), null);
            }
        }

        /** As the JDK's own loggers do: no parameters, no formatting (a lone "{" stays as written). */
        static String format(String format, Object[] params) {
            if (params == null || params.length == 0 || format == null) {
                return format;
            }
            try {
                return MessageFormat.format(format, params);
            } catch (IllegalArgumentException e) {
                // A malformed pattern must not cost the message: keep it and the values.
                return format + " " + Arrays.toString(params);
            }
        }

        private static String localize(ResourceBundle bundle, String key) {
            if (bundle == null || key == null) {
                return key;
            }
            try {
                return bundle.getString(key);
            } catch (MissingResourceException e) {
                return key;
            }
        }

        private void emit(Level level, String msg, Throwable thrown) {
            org.slf4j.Logger d = delegate();
            // SLF4J's (String, Throwable) overloads do not look for "{}" in msg: it is logged as is.
            switch (level) {
                case ALL, TRACE -> d.trace(msg, thrown);
                case DEBUG -> d.debug(msg, thrown);
                case INFO -> d.info(msg, thrown);
                case WARNING -> d.warn(msg, thrown);
                case ERROR -> d.error(msg, thrown);
                case OFF -> { }
            }
        }
    }
}
