package io.jvmm.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;

/**
 * Builds plugin jars at test time with the JDK's javac and jar tools, against the api module of
 * this test's module path: the dev-postcode example from its sources, and small made-up plugins.
 */
final class PluginJars {
    /** The example project, relative to the cli module (the tests' working directory). */
    static final Path POSTCODE_EXAMPLE = Path.of("..", "examples", "dev-postcode");

    private final Path work;

    PluginJars(Path work) {
        this.work = work;
    }

    static Path apiLocation() {
        URI uri = ModuleLayer.boot().configuration().findModule("io.jvmm.api").orElseThrow()
                .reference().location().orElseThrow();
        return Path.of(uri);
    }

    /** Compiles examples/dev-postcode (sources and resources) into {@code outDir}/dev-postcode.jar. */
    Path postcodeExample(Path outDir) throws IOException {
        Path src = POSTCODE_EXAMPLE.resolve("src/main/java");
        Path classes = Files.createDirectories(work.resolve("dev-postcode-classes"));
        List<String> args = new ArrayList<>(List.of("-d", classes.toString(), "--release", "17", "-Xlint:all", "-Werror",
                "--module-path", apiLocation().toString()));
        try (Stream<Path> files = Files.walk(src)) {
            files.filter(f -> f.toString().endsWith(".java")).map(Path::toString).sorted().forEach(args::add);
        }
        run("javac", args);
        Path resources = POSTCODE_EXAMPLE.resolve("src/main/resources");
        try (Stream<Path> files = Files.walk(resources)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Path to = classes.resolve(resources.relativize(f).toString());
                Files.createDirectories(to.getParent());
                Files.copy(f, to);
            }
        }
        return jar(classes, outDir.resolve("dev-postcode.jar"));
    }

    /** Compiles {@code sources} (path → text) and jars them with {@code resources} into {@code jar}. */
    Path jar(String name, Map<String, String> sources, Map<String, String> resources, Path jar) throws IOException {
        Path src = Files.createDirectories(work.resolve(name + "-src"));
        Path classes = Files.createDirectories(work.resolve(name + "-classes"));
        List<String> args = new ArrayList<>(List.of("-d", classes.toString(), "--release", "17"));
        args.add(sources.containsKey("module-info.java") ? "--module-path" : "--class-path");
        args.add(apiLocation().toString());
        for (Map.Entry<String, String> e : sources.entrySet()) {
            Path f = src.resolve(e.getKey());
            Files.createDirectories(f.getParent());
            Files.writeString(f, e.getValue());
            args.add(f.toString());
        }
        run("javac", args);
        for (Map.Entry<String, String> e : resources.entrySet()) {
            Path f = classes.resolve(e.getKey());
            Files.createDirectories(f.getParent());
            Files.writeString(f, e.getValue());
        }
        return jar(classes, jar);
    }

    private static Path jar(Path classes, Path jar) throws IOException {
        Files.createDirectories(jar.getParent());
        run("jar", List.of("--create", "--file", jar.toString(), "-C", classes.toString(), "."));
        return jar;
    }

    private static void run(String tool, List<String> args) {
        ToolProvider t = ToolProvider.findFirst(tool).orElseThrow(() -> new IllegalStateException("no " + tool));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
        int rc = t.run(ps, ps, args.toArray(String[]::new));
        if (rc != 0) {
            throw new IllegalStateException(tool + " failed (" + rc + "): " + out.toString(StandardCharsets.UTF_8));
        }
    }
}
