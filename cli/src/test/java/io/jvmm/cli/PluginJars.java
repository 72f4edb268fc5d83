package io.jvmm.cli;

import io.jvmm.testkit.PluginJarBuilder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Builds plugin jars at test time with the JDK's javac and jar tools, against the api module of
 * this test's module path: the dev-postcode example from its sources, and small made-up plugins.
 */
final class PluginJars {
    /** The example project, relative to the cli module (the tests' working directory). */
    static final Path POSTCODE_EXAMPLE = Path.of("..", "examples", "dev-postcode");

    private final PluginJarBuilder builder;

    PluginJars(Path work) {
        this.builder = new PluginJarBuilder(work);
    }

    static Path apiLocation() {
        return PluginJarBuilder.apiLocation();
    }

    /** Compiles examples/dev-postcode (sources and resources) into {@code outDir}/dev-postcode.jar. */
    Path postcodeExample(Path outDir) throws IOException {
        return builder.project(POSTCODE_EXAMPLE, outDir.resolve("dev-postcode.jar"), "-Xlint:all", "-Werror");
    }

    /** Compiles {@code sources} (path → text) and jars them with {@code resources} into {@code jar}. */
    Path jar(String name, Map<String, String> sources, Map<String, String> resources, Path jar) throws IOException {
        return builder.jar(name, sources, resources, jar, List.of());
    }
}
