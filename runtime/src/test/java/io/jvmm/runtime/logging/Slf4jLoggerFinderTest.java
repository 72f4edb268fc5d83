package io.jvmm.runtime.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.testkit.AllocationMeter;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.ListResourceBundle;
import java.util.ResourceBundle;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.slf4j.Marker;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;

class Slf4jLoggerFinderTest {
    /** One SLF4J call as the backend saw it. */
    record Event(String logger, org.slf4j.event.Level level, String message, Throwable thrown) {}

    /** An SLF4J logger that records what reaches it, enabled from {@code threshold} up. */
    static final class RecordingLogger extends LegacyAbstractLogger {
        private static final long serialVersionUID = 1L;
        final transient List<Event> events;
        final org.slf4j.event.Level threshold;
        int lookups;

        RecordingLogger(String name, org.slf4j.event.Level threshold, List<Event> events) {
            this.name = name;
            this.threshold = threshold;
            this.events = events;
        }

        private boolean on(org.slf4j.event.Level l) {
            // SLF4J's levels count down: ERROR is 40, TRACE 0.
            return l.toInt() >= threshold.toInt();
        }

        @Override
        public boolean isTraceEnabled() {
            return on(org.slf4j.event.Level.TRACE);
        }

        @Override
        public boolean isDebugEnabled() {
            return on(org.slf4j.event.Level.DEBUG);
        }

        @Override
        public boolean isInfoEnabled() {
            return on(org.slf4j.event.Level.INFO);
        }

        @Override
        public boolean isWarnEnabled() {
            return on(org.slf4j.event.Level.WARN);
        }

        @Override
        public boolean isErrorEnabled() {
            return on(org.slf4j.event.Level.ERROR);
        }

        @Override
        protected String getFullyQualifiedCallerName() {
            return null;
        }

        @Override
        protected void handleNormalizedLoggingCall(org.slf4j.event.Level level, Marker marker, String pattern,
                Object[] args, Throwable thrown) {
            events.add(new Event(name, level, MessageFormatter.basicArrayFormat(pattern, args), thrown));
        }
    }

    private final List<Event> events = new ArrayList<>();
    private final List<RecordingLogger> made = new ArrayList<>();
    private final Slf4jLoggerFinder finder = new Slf4jLoggerFinder(name -> {
        RecordingLogger l = new RecordingLogger(name, org.slf4j.event.Level.DEBUG, events);
        made.add(l);
        return l;
    });
    private final Logger log = finder.getLogger("com.example.postcode", getClass().getModule());

    @Test
    void theJdkUsesThisFinderOnTheModulePath() {
        // runtime's module-info provides it; the JDK looks it up on the system class loader
        assertSame(Slf4jLoggerFinder.class, System.LoggerFinder.getLoggerFinder().getClass());
        assertEquals("com.example.x", System.getLogger("com.example.x").getName());
    }

    @Test
    void eachLevelReachesSlf4jAtTheMatchingLevel() {
        Throwable boom = new IllegalStateException("boom");
        log.log(Level.ERROR, "e");
        log.log(Level.WARNING, "w", boom);
        log.log(Level.INFO, "i");
        log.log(Level.DEBUG, "d");
        assertEquals(List.of(
                new Event("com.example.postcode", org.slf4j.event.Level.ERROR, "e", null),
                new Event("com.example.postcode", org.slf4j.event.Level.WARN, "w", boom),
                new Event("com.example.postcode", org.slf4j.event.Level.INFO, "i", null),
                new Event("com.example.postcode", org.slf4j.event.Level.DEBUG, "d", null)), events);
    }

    @Test
    void levelsBelowTheBackendsThresholdAreNotLoggableAndOffNeverIs() {
        assertTrue(log.isLoggable(Level.DEBUG));
        assertFalse(log.isLoggable(Level.TRACE));
        assertFalse(log.isLoggable(Level.ALL), "ALL asks for TRACE");
        assertFalse(log.isLoggable(Level.OFF));
        log.log(Level.TRACE, "t");
        log.log(Level.OFF, "off");
        assertEquals(List.of(), events);
    }

    @Test
    void parametersAreFormattedWithMessageFormatAndCurlyBracesWithoutParametersStay() {
        log.log(Level.WARNING, "port {0} written with {1} bytes", "0x80", 2);
        log.log(Level.WARNING, "literal {} and {0} with no parameters");
        log.log(Level.WARNING, "bad pattern {x", 1);
        assertEquals(List.of("port 0x80 written with 2 bytes", "literal {} and {0} with no parameters",
                "bad pattern {x [1]"), events.stream().map(Event::message).toList());
    }

    @Test
    void suppliersRunOnlyWhenTheLevelIsEnabled() {
        int[] calls = {0};
        log.log(Level.TRACE, () -> "trace " + ++calls[0]);
        log.log(Level.INFO, () -> "info " + ++calls[0]);
        assertEquals(1, calls[0]);
        assertEquals(List.of("info 1"), events.stream().map(Event::message).toList());
    }

    @Test
    void aResourceBundleLocalizesTheMessage() {
        ResourceBundle bundle = new ListResourceBundle() {
            @Override
            protected Object[][] getContents() {
                return new Object[][] {{"greeting", "hello {0}"}};
            }
        };
        log.log(Level.INFO, bundle, "greeting", "guest");
        log.log(Level.INFO, bundle, "not.there", (Throwable) null);
        assertEquals(List.of("hello guest", "not.there"), events.stream().map(Event::message).toList());
    }

    @Test
    void aDisabledLevelAllocatesNothing() {
        Object[] params = {"0x80"};
        Supplier<String> supplier = () -> "never";
        Runnable disabled = () -> {
            log.log(Level.TRACE, "plain");
            log.log(Level.TRACE, "port {0}", params);
            log.log(Level.TRACE, supplier);
            log.log(Level.TRACE, "thrown", (Throwable) null);
        };
        for (int i = 0; i < 10_000; i++) {
            disabled.run(); // warm up: class loading and the first lookup allocate
        }
        long bytes = AllocationMeter.allocatedBytes(() -> {
            for (int i = 0; i < 1000; i++) {
                disabled.run();
            }
        });
        assertTrue(bytes <= 0, bytes + " bytes allocated by 4000 disabled log calls");
        assertEquals(List.of(), events);
    }

    @Test
    void theSlf4jLoggerIsLookedUpOnFirstUseNotWhenTheJdkAsks() {
        Logger later = finder.getLogger("lazy", getClass().getModule());
        assertEquals("lazy", later.getName());
        assertTrue(made.stream().noneMatch(l -> l.getName().equals("lazy")),
                "no backend logger before first use, so early JDK lookups do not configure the backend");
        later.log(Level.INFO, "now");
        later.log(Level.INFO, "again");
        assertEquals(1, made.stream().filter(l -> l.getName().equals("lazy")).count());
        assertNull(events.get(0).thrown());
    }
}
