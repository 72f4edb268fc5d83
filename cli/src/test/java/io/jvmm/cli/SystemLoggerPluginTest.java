package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A plugin that requires {@code io.jvmm.api} alone logs through {@code System.Logger}; the runtime's
 * {@code System.LoggerFinder} hands those lines to SLF4J/logback, so they land in {@code run --log
 * FILE} at the level the plugin chose. Checked in a child JVM on the real module path, since the
 * JDK picks its logger finder once per JVM.
 */
class SystemLoggerPluginTest {
    @TempDir
    Path dir;

    @Test
    void aPluginsSystemLoggerLinesReachTheRunLogFile() throws Exception {
        Path plugins = dir.resolve("plugins");
        new PluginJars(dir).jar("syslog", Map.of(
                "module-info.java", "module test.syslog {\n  requires io.jvmm.api;\n"
                        + "  provides io.jvmm.api.resource.ResourceResolver with test.syslog.R;\n}\n",
                "test/syslog/R.java", BadPluginJars.resolver("test.syslog", "R", "syslog_dev",
                        "return () -> io.jvmm.api.device.Capabilities.NONE;",
                        "  private static final System.Logger LOG = System.getLogger(\"test.syslog\");\n"
                                + "  public R() {\n"
                                + "    LOG.log(System.Logger.Level.DEBUG, \"resolver {0} loaded\", id());\n"
                                + "    LOG.log(System.Logger.Level.WARNING, \"a warning from {0}\", \"the plugin\");\n"
                                + "    LOG.log(System.Logger.Level.TRACE, \"below the level: not written\");\n"
                                + "  }\n")),
                Map.of(), plugins.resolve("syslog.jar"));
        Path log = dir.resolve("jvmm.log");
        // Plugins load before the payload is read, so a missing firmware file ends the run
        // (exit 2) after the resolver has logged, without a VM.
        JvmmProcess r = JvmmProcess.runWithProperties(dir, Duration.ofSeconds(60), List.of("-Djvmm.log.level=debug"),
                "run", "--log", log.toString(), "--plugin-path", plugins.toString(), "--firmware", "nope.bin");
        assertEquals(2, r.exitCode(), r.err());
        assertTrue(r.err().contains("jvmm: firmware file 'nope.bin' does not exist"), r.err());
        String text = Files.readString(log);
        assertTrue(text.lines().anyMatch(l -> l.contains(" DEBUG ") && l.endsWith("syslog: resolver syslog_dev loaded")),
                text);
        assertTrue(text.lines().anyMatch(l -> l.contains(" WARN ") && l.endsWith("syslog: a warning from the plugin")),
                text);
        assertFalse(text.contains("below the level"), text);
        assertFalse(r.err().contains("resolver syslog_dev loaded"), "logs go to the --log file: " + r.err());
    }

    @Test
    void atTheDefaultLevelOnlyWarningsAndErrorsReachStderr() throws Exception {
        Path plugins = dir.resolve("plugins");
        new PluginJars(dir).jar("syslog", Map.of(
                "module-info.java", "module test.syslog {\n  requires io.jvmm.api;\n"
                        + "  provides io.jvmm.api.resource.ResourceResolver with test.syslog.R;\n}\n",
                "test/syslog/R.java", BadPluginJars.resolver("test.syslog", "R", "syslog_dev",
                        "return () -> io.jvmm.api.device.Capabilities.NONE;",
                        "  public R() {\n"
                                + "    System.Logger log = System.getLogger(\"test.syslog\");\n"
                                + "    log.log(System.Logger.Level.INFO, \"info is below the default level\");\n"
                                + "    log.log(System.Logger.Level.ERROR, \"an error from the plugin\");\n"
                                + "  }\n")),
                Map.of(), plugins.resolve("syslog.jar"));
        JvmmProcess r = JvmmProcess.run(dir, Duration.ofSeconds(60),
                "run", "--plugin-path", plugins.toString(), "--firmware", "nope.bin");
        assertEquals(2, r.exitCode(), r.err());
        assertTrue(r.err().lines().anyMatch(l -> l.contains(" ERROR ") && l.endsWith("syslog: an error from the plugin")),
                r.err());
        assertFalse(r.err().contains("info is below"), r.err());
    }
}
