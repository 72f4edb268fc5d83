package io.jvmm.testkit;

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
 * Builds plugin jars at test time with the JDK's own {@code javac} and {@code jar} tools, against
 * the {@code io.jvmm.api} module of the running test: for tests of plugin loading (good, broken,
 * duplicate or non-modular jars) and of example plugins compiled from their sources.
 */
public final class PluginJarBuilder {
    private final Path work;

    /** @param work a scratch directory for sources and classes */
    public PluginJarBuilder(Path work) {
        this.work = work;
    }

    /** Where {@code io.jvmm.api} is on this JVM's module path (a jar or a classes directory). */
    public static Path apiLocation() {
        URI uri = ModuleLayer.boot().configuration().findModule("io.jvmm.api")
                .orElseThrow(() -> new IllegalStateException("io.jvmm.api is not on the module path"))
                .reference().location().orElseThrow();
        return Path.of(uri);
    }

    /**
     * Compiles {@code sources} (path under the source root → text) and jars the classes plus
     * {@code resources} (path → text) as {@code jar}. A {@code module-info.java} among the sources
     * makes it a module; {@code extraModulePath} adds modules it requires besides the api.
     */
    public Path jar(String name, Map<String, String> sources, Map<String, String> resources, Path jar,
            List<Path> extraModulePath) throws IOException {
        Path src = Files.createDirectories(work.resolve(name + "-src"));
        List<Path> files = new ArrayList<>();
        for (Map.Entry<String, String> e : sources.entrySet()) {
            Path f = src.resolve(e.getKey());
            Files.createDirectories(f.getParent());
            Files.writeString(f, e.getValue());
            files.add(f);
        }
        Path classes = compile(name, files, sources.containsKey("module-info.java"), extraModulePath, List.of());
        for (Map.Entry<String, String> e : resources.entrySet()) {
            Path f = classes.resolve(e.getKey());
            Files.createDirectories(f.getParent());
            Files.writeString(f, e.getValue());
        }
        return archive(classes, jar);
    }

    /**
     * Compiles a plugin project laid out the Maven way ({@code src/main/java},
     * {@code src/main/resources}) into {@code jar}, with {@code javacOptions} (e.g. {@code -Werror}).
     */
    public Path project(Path projectDir, Path jar, String... javacOptions) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.walk(projectDir.resolve("src/main/java"))) {
            files = s.filter(f -> f.toString().endsWith(".java")).sorted().toList();
        }
        String name = projectDir.getFileName().toString();
        Path classes = compile(name, files, true, List.of(), List.of(javacOptions));
        Path resources = projectDir.resolve("src/main/resources");
        if (Files.isDirectory(resources)) {
            try (Stream<Path> s = Files.walk(resources)) {
                for (Path f : s.filter(Files::isRegularFile).toList()) {
                    Path to = classes.resolve(resources.relativize(f).toString());
                    Files.createDirectories(to.getParent());
                    Files.copy(f, to);
                }
            }
        }
        return archive(classes, jar);
    }

    /** A {@code module-info.java} that requires the api (and {@code extraRequires}) and provides {@code provider}. */
    public static String moduleInfo(String module, String provider, String... extraRequires) {
        StringBuilder sb = new StringBuilder("module " + module + " {\n  requires io.jvmm.api;\n");
        for (String r : extraRequires) {
            sb.append("  requires ").append(r).append(";\n");
        }
        sb.append("  provides io.jvmm.api.resource.ResourceResolver with ").append(provider).append(";\n}\n");
        return sb.toString();
    }

    private Path compile(String name, List<Path> files, boolean modular, List<Path> extraModulePath,
            List<String> options) throws IOException {
        Path classes = Files.createDirectories(work.resolve(name + "-classes"));
        List<String> args = new ArrayList<>(List.of("-d", classes.toString(), "--release", "17"));
        args.addAll(options);
        StringBuilder path = new StringBuilder(apiLocation().toString());
        for (Path p : extraModulePath) {
            path.append(java.io.File.pathSeparator).append(p);
        }
        args.add(modular ? "--module-path" : "--class-path");
        args.add(path.toString());
        files.forEach(f -> args.add(f.toString()));
        run("javac", args);
        return classes;
    }

    private static Path archive(Path classes, Path jar) throws IOException {
        Path dir = jar.toAbsolutePath().getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        run("jar", List.of("--create", "--file", jar.toString(), "-C", classes.toString(), "."));
        return jar;
    }

    private static void run(String tool, List<String> args) {
        ToolProvider t = ToolProvider.findFirst(tool).orElseThrow(() -> new IllegalStateException("no " + tool + " tool"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
        int rc = t.run(ps, ps, args.toArray(String[]::new));
        if (rc != 0) {
            throw new IllegalStateException(tool + " failed (" + rc + "): " + out.toString(StandardCharsets.UTF_8));
        }
    }
}
