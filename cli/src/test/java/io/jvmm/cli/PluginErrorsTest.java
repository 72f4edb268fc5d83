package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Plugin problems the bad-input catalogue cannot express (listings on stdout, warnings before a
 * run goes on, help text): each names the jar, says what is wrong and how to fix it, without a
 * stack trace.
 */
class PluginErrorsTest {
    @TempDir
    Path dir;

    private String resolverWith(String module, String id, String replacedMember) {
        String source = BadPluginJars.resolver(module, "R", id, "return () -> io.jvmm.api.device.Capabilities.NONE;");
        if (replacedMember == null) {
            return source;
        }
        String signature = replacedMember.substring(0, replacedMember.indexOf('{'));
        int at = source.indexOf(signature);
        return source.substring(0, at) + replacedMember + source.substring(source.indexOf('\n', at));
    }

    private Path plugin(String jarName, String module, String id, String replacedMember, Path into) throws IOException {
        return new BadPluginJars(dir.resolve("work-" + jarName)).jar(jarName, Map.of(
                "module-info.java", BadPluginJars.moduleInfo(module, module + ".R"),
                module.replace('.', '/') + "/R.java", resolverWith(module, id, replacedMember)), Map.of(), into);
    }

    @Test
    void pluginsListsAResolverWithANullOrThrowingIdAsFailedWithoutATrace() throws Exception {
        Path plugins = dir.resolve("plugins");
        plugin("nullid", "test.nullid", "x", "public String id() { return null; }", plugins);
        plugin("throwkind", "test.throwkind", "x",
                "public ResourceKind<ChipsetDevice> kind() { throw new UnsupportedOperationException(\"not yet\"); }", plugins);
        CliHarness r = CliHarness.run("plugins", "--plugin-path", plugins.toString());
        assertEquals(0, r.exitCode(), r.err());
        String failed = r.out().substring(r.out().indexOf("Failed providers:"));
        assertTrue(failed.contains("  test.nullid.R in test.nullid (nullid.jar): id() returned null; fix the resolver "
                + "or remove nullid.jar"), failed);
        assertTrue(failed.contains("  test.throwkind.R in test.throwkind (throwkind.jar): kind() failed: "
                + "not yet; fix the resolver or remove throwkind.jar"), failed);
        assertFalse(r.out().contains("Exception\n") || r.out().contains("\tat ") || r.err().contains("\tat "), r.out() + r.err());
    }

    @Test
    void aPluginReusingABuiltInIdIsIgnoredWithAWarningAndTheBuiltInStillWorks() throws Exception {
        Path plugins = dir.resolve("plugins");
        plugin("stray16550", "test.stray", "serial_16550", null, plugins);

        CliHarness list = CliHarness.run("plugins", "--plugin-path", plugins.toString());
        assertEquals(0, list.exitCode(), list.err());
        assertTrue(list.out().lines().anyMatch(l -> l.matches("\\s*chipset_device\\s+serial_16550\\s+io\\.jvmm\\.dev\\.serial16550\\s.*")),
                "the built-in is still the resolver: " + list.out());
        assertTrue(list.out().contains("  chipset_device:serial_16550 in test.stray (stray16550.jar): duplicates the built-in "
                + "chipset_device:serial_16550 of io.jvmm.dev.serial16550"), list.out());

        // run warns, then goes on with the built-in COM ports (it stops at the memory check: no VM needed)
        CliHarness run = CliHarness.run("run", "--plugin-path", plugins.toString(), "--memory", "0");
        assertEquals(2, run.exitCode(), run.err());
        String first = run.err().lines().findFirst().orElse("");
        assertTrue(first.startsWith("jvmm: warning: chipset_device:serial_16550 in test.stray (stray16550.jar) duplicates "
                + "the built-in chipset_device:serial_16550 of io.jvmm.dev.serial16550"), first);
        assertTrue(first.endsWith(", which is used; this one is ignored: remove stray16550.jar from the plugin directory, "
                + "or give its resolver an id of its own"), first);
        assertTrue(run.err().contains("jvmm: invalid --memory '0'"), run.err());
        assertFalse(run.err().contains("no loaded module provides"), run.err());
    }

    @Test
    void aJarCompiledForANewerJavaIsListedByItsFileName() throws Exception {
        Path plugins = dir.resolve("plugins");
        Path built = plugin("newer", "test.newer", "newer_dev", null, dir.resolve("built"));
        int jvm = Runtime.version().feature();
        // what javac --release N+1 would write: the same classes with class file version N+1
        Files.createDirectories(plugins);
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(built));
                ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(plugins.resolve("newer.jar")))) {
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                byte[] bytes = in.readAllBytes();
                if (e.getName().equals("test/newer/R.class")) {
                    bytes[6] = (byte) ((jvm + 1 + 44) >> 8);
                    bytes[7] = (byte) (jvm + 1 + 44);
                }
                out.putNextEntry(new ZipEntry(e.getName()));
                out.write(bytes);
            }
        }
        CliHarness r = CliHarness.run("plugins", "--plugin-path", plugins.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("  newer.jar: compiled for Java " + (jvm + 1) + ", this JVM is " + jvm + "; run jvmm on Java "
                + (jvm + 1) + " or later, or build the plugin with --release " + jvm), r.out());
        assertFalse(r.out().contains("(unknown)"), r.out());
    }

    @Test
    void aLibraryJarIsSaidToBeALibraryThatProvidesNoResolver() throws Exception {
        Path plugins = dir.resolve("plugins");
        new BadPluginJars(dir).jar("commons-util-1.2", Map.of("org/example/util/Strings.java",
                "package org.example.util;\npublic final class Strings {}\n"), Map.of(), plugins);
        CliHarness r = CliHarness.run("plugins", "--plugin-path", plugins.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("  commons-util-1.2.jar: is not a module (no module-info.class) and provides no "
                + "resolver: a library jar, not a plugin; plugin directories load plugin modules only, so it was not "
                + "loaded (build a library a plugin needs into that plugin's jar)"), r.out());
    }

    @Test
    void helpTextsFormatWithoutPicocliWarnings() throws Exception {
        for (String command : new String[] {"run", "ctl", "manifest", "plugins"}) {
            // picocli's tracer writes its warnings to the process's stderr, so ask a child JVM
            JvmmProcess p = JvmmProcess.run(dir, Duration.ofSeconds(60), command, "--help");
            assertEquals(0, p.exitCode(), p.err());
            assertFalse(p.err().contains("WARN") || p.out().contains("WARN"), command + " --help:\n" + p.err() + p.out());
            assertTrue(p.out().contains("Usage: jvmm " + command), p.out());
        }
        JvmmProcess run = JvmmProcess.run(dir, Duration.ofSeconds(60), "run", "--help");
        assertTrue(run.out().contains("A battery: N% | host"), run.out());
        JvmmProcess ctl = JvmmProcess.run(dir, Duration.ofSeconds(60), "ctl", "--help");
        assertTrue(ctl.out().contains("e.g. 50%, host"), ctl.out());
    }
}
