package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** JVMM_PLUGIN_PATH, read by the cli itself (the jlinked runtime has no module path to put it on). */
class PluginOptionsTest {
    @TempDir
    Path dir;

    @Test
    void environmentValueIsSplitLikePathAndStrayColonsAreSkipped() {
        assertEquals(List.of(Path.of("/a"), Path.of("b")), PluginOptions.directories(":/a::b:"));
        assertEquals(List.of(), PluginOptions.directories(null));
        assertEquals(List.of(), PluginOptions.directories(""));
    }

    @Test
    void missingDirectoryInTheEnvironmentIsAConfigurationErrorNamingTheVariable() {
        UserError e = assertThrows(UserError.class, () -> new PluginOptions().load(dir.resolve("gone").toString()));
        assertEquals(Main.USAGE, e.exitCode());
        assertTrue(e.messages().get(0).startsWith("JVMM_PLUGIN_PATH: " + dir.resolve("gone") + " is not a directory"),
                e.messages().toString());
    }

    @Test
    void environmentDirectoriesJoinThePluginLayer() throws Exception {
        Path plugins = dir.resolve("plugins");
        new PluginJars(dir).postcodeExample(plugins);
        var layer = new PluginOptions().load(plugins.toString()).layer();
        assertTrue(layer.findModule("com.example.postcode").isPresent(), layer.toString());
    }
}
