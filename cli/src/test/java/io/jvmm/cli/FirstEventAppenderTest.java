package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class FirstEventAppenderTest {
    private final LoggerContext context = new LoggerContext();

    FirstEventAppenderTest() {
        context.setMDCAdapter(new LogbackMDCAdapter());
    }

    private LoggingEvent event(String message, Object... args) {
        return new LoggingEvent(FirstEventAppenderTest.class.getName(), context.getLogger("io.jvmm.test.Probe"),
                Level.WARN, message, null, args);
    }

    /**
     * One thread's line being formatted (here: an argument whose toString() waits) does not hold up
     * another thread's line: with a synchronized appender, every log line of every VM's threads
     * waited for the one being formatted.
     */
    @Test
    void linesOfDifferentThreadsAreFormattedInParallel(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("jvmm.log");
        LogConfigurator.FirstEventAppender appender = new LogConfigurator.FirstEventAppender(file.toString());
        appender.setContext(context);
        appender.start();
        CountDownLatch formatting = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Object slow = new Object() {
            @Override
            public String toString() {
                formatting.countDown();
                try {
                    release.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return "slow";
            }
        };
        appender.doAppend(event("first line")); // the target is made
        CompletableFuture<Void> a = CompletableFuture.runAsync(() -> appender.doAppend(event("a {}", slow)));
        assertTrue(formatting.await(10, TimeUnit.SECONDS));
        CompletableFuture<Void> b = CompletableFuture.runAsync(() -> appender.doAppend(event("b fast")));
        b.get(10, TimeUnit.SECONDS); // fails (times out) while a's formatting holds the appender
        assertFalse(a.isDone());
        release.countDown();
        a.get(10, TimeUnit.SECONDS);
        appender.stop();
        List<String> lines = Files.readAllLines(file);
        assertEquals(3, lines.size(), lines + " " + context.getStatusManager().getCopyOfStatusList());
        assertTrue(lines.get(1).endsWith("Probe: b fast") && lines.get(2).endsWith("Probe: a slow"), lines.toString());
    }

    @Test
    void nothingIsOpenedAfterStop(@TempDir Path dir) {
        Path file = dir.resolve("jvmm.log");
        LogConfigurator.FirstEventAppender appender = new LogConfigurator.FirstEventAppender(file.toString());
        appender.setContext(context);
        appender.start();
        appender.stop();
        appender.doAppend(event("after stop"));
        assertFalse(Files.exists(file));
    }
}
