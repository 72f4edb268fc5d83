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

/** Builds small plugin jars at test time with the JDK's javac and jar tools. */
final class BadPluginJars {
    private final Path work;

    BadPluginJars(Path work) {
        this.work = work;
    }

    /** Where io.jvmm.api is on the test module path (a jar or target/classes). */
    private static Path apiLocation() {
        URI uri = ModuleLayer.boot().configuration().findModule("io.jvmm.api").orElseThrow()
                .reference().location().orElseThrow();
        return Path.of(uri);
    }

    /**
     * Compiles {@code sources} (path relative to the source root to text) and jars the classes plus
     * {@code resources} as {@code outDir/name.jar}. A module-info.java in sources makes it a module.
     */
    Path jar(String name, Map<String, String> sources, Map<String, String> resources, Path outDir) throws IOException {
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
        Files.createDirectories(outDir);
        Path jar = outDir.resolve(name + ".jar");
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

    /**
     * A chipset-device resolver {@code pkg.cls} for {@code id} with an empty handle: {@code resolveBody}
     * runs in {@code resolve(EmptyHandle h, ResolveContext c)} and must return a ChipsetDevice.
     */
    static String resolver(String pkg, String cls, String id, String resolveBody, String... extraMembers) {
        return "package " + pkg + ";\n"
                + "import io.jvmm.api.device.*;\n"
                + "import io.jvmm.api.handles.EmptyHandle;\n"
                + "import io.jvmm.api.resource.*;\n"
                + "import java.util.Optional;\n"
                + "public final class " + cls + " implements ResourceResolver<EmptyHandle, ChipsetDevice> {\n"
                + "  public ResourceKind<ChipsetDevice> kind() { return ResourceKinds.CHIPSET_DEVICE; }\n"
                + "  public String id() { return \"" + id + "\"; }\n"
                + "  public Class<EmptyHandle> handleType() { return EmptyHandle.class; }\n"
                + "  public EmptyHandle parseHandle(ConfigReader c) { return EmptyHandle.INSTANCE; }\n"
                + "  public ChipsetDevice resolve(EmptyHandle h, ResolveContext c) throws ResolveException {\n"
                + "    " + resolveBody + "\n  }\n"
                + String.join("\n", extraMembers)
                + "}\n";
    }

    static String moduleInfo(String module, String provider) {
        return "module " + module + " {\n  requires io.jvmm.api;\n"
                + "  provides io.jvmm.api.resource.ResourceResolver with " + provider + ";\n}\n";
    }
}
