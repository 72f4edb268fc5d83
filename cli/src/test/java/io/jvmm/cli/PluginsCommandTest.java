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
    void showsEachModulesVersionAndTheApiVersionItWasBuiltAgainst() {
        // the build gives every module its version (--module-version), and javac records the
        // version of io.jvmm.api each module required when it was compiled
        String api = ModuleLayer.boot().findModule("io.jvmm.api").orElseThrow()
                .getDescriptor().version().orElseThrow().toString();
        CliHarness r = CliHarness.run("plugins");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().startsWith("Resolvers (API: the io.jvmm.api version each was built against; this jvmm has "
                + api + "):"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("\\s+KIND\\s+ID\\s+MODULE\\s+VERSION\\s+API\\s+JAR")), r.out());
        String quoted = java.util.regex.Pattern.quote(api);
        assertTrue(r.out().lines().anyMatch(l -> l.matches("\\s*chipset_device\\s+missing_dev\\s+io\\.jvmm\\.dev\\.missing\\s+"
                + quoted + "\\s+" + quoted + "\\s+\\S+")), r.out());
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
