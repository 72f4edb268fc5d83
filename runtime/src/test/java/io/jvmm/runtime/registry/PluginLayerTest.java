package io.jvmm.runtime.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Plugin directories with good and broken jars, built at test time. */
class PluginLayerTest {
    @TempDir
    static Path work;
    static Path plugins;

    @BeforeAll
    static void buildJars() throws Exception {
        TestPluginJars jars = new TestPluginJars(work);
        plugins = work.resolve("plugins");
        jars.jar("good", Map.of(
                "module-info.java", TestPluginJars.moduleInfo("test.good", "test.good.GoodResolver"),
                "test/good/GoodResolver.java", TestPluginJars.resolverSource("test.good", "GoodResolver", "good_dev", "")),
                Map.of(), plugins, List.of());
        jars.jar("throwing", Map.of(
                "module-info.java", TestPluginJars.moduleInfo("test.throwing", "test.throwing.ThrowingResolver"),
                "test/throwing/ThrowingResolver.java", TestPluginJars.resolverSource("test.throwing",
                        "ThrowingResolver", "throwing_dev", "if (true) throw new IllegalStateException(\"no licence\");")),
                Map.of(), plugins, List.of());
        jars.jar("dup-a", Map.of(
                "module-info.java", TestPluginJars.moduleInfo("test.dupa", "test.dupa.DupResolver"),
                "test/dupa/DupResolver.java", TestPluginJars.resolverSource("test.dupa", "DupResolver", "same_id", "")),
                Map.of(), plugins, List.of());
        jars.jar("dup-b", Map.of(
                "module-info.java", TestPluginJars.moduleInfo("test.dupb", "test.dupb.DupResolver"),
                "test/dupb/DupResolver.java", TestPluginJars.resolverSource("test.dupb", "DupResolver", "same_id", "")),
                Map.of(), plugins, List.of());
        // compiled against a helper module that is not in the plugin directory
        Path helperDir = work.resolve("helper-out");
        Path helper = jars.jar("helper", Map.of(
                "module-info.java", "module test.helper { exports test.helper; }",
                "test/helper/Help.java", "package test.helper; public class Help {}"), Map.of(), helperDir, List.of());
        jars.jar("needs-helper", Map.of(
                "module-info.java", TestPluginJars.moduleInfo("test.needy", "test.needy.NeedyResolver", "test.helper"),
                "test/needy/NeedyResolver.java", TestPluginJars.resolverSource("test.needy", "NeedyResolver", "needy", "")),
                Map.of(), plugins, List.of(helper));
        jars.jar("plain", Map.of(
                "test/plain/PlainResolver.java", TestPluginJars.resolverSource("test.plain", "PlainResolver", "plain", "")),
                Map.of("META-INF/services/io.jvmm.api.resource.ResourceResolver", "test.plain.PlainResolver\n"),
                plugins, List.of());
        Files.writeString(plugins.resolve("garbage.jar"), "this is not a zip file");
    }

    private static Map<String, String> failuresByProvider(List<ProviderFailure> failures) {
        return failures.stream().collect(Collectors.toMap(ProviderFailure::provider, ProviderFailure::reason, (a, b) -> a + " | " + b));
    }

    @Test
    void goodPluginsLoadAndEachBrokenJarIsReportedByName() {
        PluginLayer layer = PluginLayer.load(List.of(plugins));
        Map<String, String> jarFailures = failuresByProvider(layer.failures());
        assertTrue(jarFailures.get("plain.jar").startsWith("is not a module (no module-info.class)"), jarFailures.toString());
        assertTrue(jarFailures.get("needs-helper.jar").contains("test.helper"), jarFailures.toString());
        assertTrue(jarFailures.containsKey("garbage.jar"), jarFailures.toString());
        assertEquals(4, layer.loaded().size(), layer.loaded().toString());

        ResolverRegistry reg = ResolverRegistry.builder().loadFrom(layer.layer()).build();
        RegisteredResolver good = reg.find("chipset_device", "good_dev").orElseThrow();
        assertEquals("test.good", good.origin().module());
        assertEquals("good.jar", good.origin().jarName());
        // the boot layer's providers are still there
        assertTrue(reg.find("chipset_device", "missing_dev").isPresent());

        Map<String, String> providerFailures = failuresByProvider(reg.failures());
        String throwing = providerFailures.entrySet().stream()
                .filter(e -> e.getKey().contains("ThrowingResolver")).map(Map.Entry::getValue).findFirst().orElseThrow();
        assertTrue(throwing.contains("no licence"), throwing);
        assertTrue(providerFailures.keySet().stream().anyMatch(k -> k.contains("throwing.jar")), providerFailures.toString());
        String dup = providerFailures.get("chipset_device:same_id");
        assertTrue(dup.contains("test.dupa") && dup.contains("test.dupb"), dup);
        assertTrue(reg.find("chipset_device", "same_id").isEmpty());
    }

    @Test
    void missingDirectoryIsAConfigurationError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PluginLayer.load(List.of(work.resolve("nope"))));
        assertTrue(e.getMessage().contains("does not exist or is not a directory"));
    }

    @Test
    void emptyDirectoryGivesTheBootLayer() throws Exception {
        Path empty = Files.createDirectories(work.resolve("empty"));
        PluginLayer layer = PluginLayer.load(List.of(empty));
        assertEquals(ModuleLayer.boot(), layer.layer());
        assertTrue(layer.failures().isEmpty());
    }
}
