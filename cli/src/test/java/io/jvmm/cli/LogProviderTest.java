package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;

/** The SLF4J provider the launcher names: logback set up by LogConfigurator, without logback's auto-configuration. */
class LogProviderTest {
    @Test
    void logsAtWarnByDefaultInTheConfiguredPatternToTheLogFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("jvmm.log");
        String before = System.getProperty("jvmm.log.file");
        System.setProperty("jvmm.log.file", file.toString());
        LogProvider provider = new LogProvider();
        try {
            provider.initialize();
        } finally {
            if (before == null) {
                System.clearProperty("jvmm.log.file");
            } else {
                System.setProperty("jvmm.log.file", before);
            }
        }
        Logger log = provider.getLoggerFactory().getLogger("io.jvmm.test.Probe");
        assertFalse(log.isInfoEnabled(), "the default level is WARN");
        assertFalse(Files.exists(file) && Files.size(file) > 0, "nothing is written before the first event");
        log.info("not written");
        log.warn("port {} busy", 0x3f8);
        List<String> lines = Files.readAllLines(file);
        assertEquals(1, lines.size(), lines.toString());
        assertTrue(lines.get(0).matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} WARN  \\[[^]]+\\] Probe: port 1016 busy"), lines.get(0));
        assertTrue(provider.getMDCAdapter() != null && provider.getMarkerFactory() != null);
        assertTrue(provider.getRequestedApiVersion().startsWith("2."), provider.getRequestedApiVersion());
    }
}
