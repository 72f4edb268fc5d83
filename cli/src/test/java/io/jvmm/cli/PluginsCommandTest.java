package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PluginsCommandTest {
    @Test
    void listsResolversWithModuleVersionAndJar() {
        CliHarness r = CliHarness.run("plugins");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("KIND"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.contains("chipset_device") && l.contains("missing_dev")
                && l.contains("io.jvmm.dev.missing")), r.out());
        assertTrue(r.out().contains("Hypervisors:"), r.out());
    }

    @Test
    void missingPluginDirectoryIsAUsageError(@TempDir Path dir) {
        CliHarness r = CliHarness.run("plugins", "--plugin-path", dir.resolve("nope").toString());
        assertEquals(2, r.exitCode());
        assertTrue(r.err().startsWith("jvmm: --plugin-path: plugin directory"), r.err());
    }

    @Test
    void unknownOptionIsAUsageErrorWithoutATrace() {
        CliHarness r = CliHarness.run("plugins", "--frobnicate");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("Unknown option: '--frobnicate'"), r.err());
        assertTrue(!r.err().contains("at io.jvmm"), r.err());
    }
}
