package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --plugin-path} with a good and a broken plugin jar side by side. */
class PluginDirectoryTest {
    @TempDir
    Path dir;

    @Test
    void goodPluginIsListedAndBrokenOnesAreReportedWithTheirReasons() throws Exception {
        Path plugins = dir.resolve("plugins");
        PluginJars jars = new PluginJars(dir);
        jars.postcodeExample(plugins);
        // a module whose provider throws in its constructor
        jars.jar("throwing", Map.of(
                "module-info.java", "module com.example.throwing {\n  requires io.jvmm.api;\n"
                        + "  provides io.jvmm.api.resource.ResourceResolver with com.example.throwing.Throwing;\n}\n",
                "com/example/throwing/Throwing.java", "package com.example.throwing;\n"
                        + "import io.jvmm.api.device.ChipsetDevice;\nimport io.jvmm.api.handles.EmptyHandle;\n"
                        + "import io.jvmm.api.resource.*;\n"
                        + "public final class Throwing implements ResourceResolver<EmptyHandle, ChipsetDevice> {\n"
                        + "  public Throwing() { throw new IllegalStateException(\"licence server unreachable\"); }\n"
                        + "  public ResourceKind<ChipsetDevice> kind() { return ResourceKinds.CHIPSET_DEVICE; }\n"
                        + "  public String id() { return \"throwing\"; }\n"
                        + "  public Class<EmptyHandle> handleType() { return EmptyHandle.class; }\n"
                        + "  public EmptyHandle parseHandle(ConfigReader c) { return EmptyHandle.INSTANCE; }\n"
                        + "  public ChipsetDevice resolve(EmptyHandle h, ResolveContext c) { return (ChipsetDevice) () -> io.jvmm.api.device.Capabilities.NONE; }\n"
                        + "}\n"),
                Map.of(), plugins.resolve("throwing.jar"));
        // a plain jar without module-info
        jars.jar("plain", Map.of("com/example/plain/Plain.java", "package com.example.plain;\npublic class Plain {}\n"),
                Map.of(), plugins.resolve("plain.jar"));
        // not a jar at all
        Files.writeString(plugins.resolve("garbage.jar"), "this is not a zip file");

        CliHarness r = CliHarness.run("plugins", "--plugin-path", plugins.toString());
        assertEquals(0, r.exitCode(), r.err());
        String out = r.out();
        assertTrue(out.lines().anyMatch(l -> l.contains("postcode") && l.contains("com.example.postcode")
                && l.contains("dev-postcode.jar")), out);
        assertFalse(out.lines().anyMatch(l -> l.matches("\\s*chipset_device\\s+throwing\\s.*")), "the broken provider is not a resolver: " + out);
        String failed = out.substring(out.indexOf("Failed providers:"));
        assertTrue(failed.contains("licence server unreachable"), failed);
        assertTrue(failed.contains("plain.jar: is not a module (no module-info.class) and provides no resolver: a library "
                + "jar, not a plugin; plugin directories load plugin modules only, so it was not loaded"), failed);
        assertTrue(failed.lines().anyMatch(l -> l.startsWith("  garbage.jar: cannot be read as a module")), failed);
        assertFalse(out.contains("\tat "), out);
    }

    @Test
    void runWarnsAboutBrokenPluginsAndStillUsesTheGoodOnes() throws Exception {
        Path plugins = dir.resolve("plugins");
        new PluginJars(dir).postcodeExample(plugins);
        Files.writeString(plugins.resolve("garbage.jar"), "this is not a zip file");
        // stops at the memory check, after plugins are loaded: no VM needed
        CliHarness r = CliHarness.run("run", "--plugin-path", plugins.toString(), "--memory", "0");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().startsWith("jvmm: warning: plugin garbage.jar not loaded: cannot be read as a module"), r.err());
        assertTrue(r.err().contains("jvmm: invalid --memory '0'"), r.err());
    }
}
