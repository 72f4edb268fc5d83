package io.jvmm.runtime.registry;

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
final class TestPluginJars {
    private final Path work;

    TestPluginJars(Path work) {
        this.work = work;
    }

    /** Where io.jvmm.api is on the test module path (a jar or target/classes). */
    static Path apiLocation() {
        URI uri = ModuleLayer.boot().configuration().findModule("io.jvmm.api").orElseThrow()
                .reference().location().orElseThrow();
        return Path.of(uri);
    }

    /**
     * Compiles {@code sources} (path relative to the source root → text) and jars the classes
     * plus {@code resources} into {@code out}. A module-info.java in sources makes it a module.
     */
    Path jar(String name, Map<String, String> sources, Map<String, String> resources, Path outDir,
            List<Path> extraModulePath) throws IOException {
        Path src = Files.createDirectories(work.resolve(name + "-src"));
        Path classes = Files.createDirectories(work.resolve(name + "-classes"));
        List<String> args = new ArrayList<>(List.of("-d", classes.toString(), "--release", "17"));
        StringBuilder mp = new StringBuilder(apiLocation().toString());
        for (Path p : extraModulePath) {
            mp.append(java.io.File.pathSeparator).append(p);
        }
        boolean modular = sources.containsKey("module-info.java");
        args.add(modular ? "--module-path" : "--class-path");
        args.add(mp.toString());
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

    /** Source of a chipset-device resolver class {@code pkg.cls} with the given id and resolve body. */
    static String resolverSource(String pkg, String cls, String id, String constructorBody) {
        return "package " + pkg + ";\n"
                + "import io.jvmm.api.device.ChipsetDevice;\n"
                + "import io.jvmm.api.handles.EmptyHandle;\n"
                + "import io.jvmm.api.resource.*;\n"
                + "public final class " + cls + " implements ResourceResolver<EmptyHandle, ChipsetDevice> {\n"
                + "  public " + cls + "() { " + constructorBody + " }\n"
                + "  public ResourceKind<ChipsetDevice> kind() { return ResourceKinds.CHIPSET_DEVICE; }\n"
                + "  public String id() { return \"" + id + "\"; }\n"
                + "  public Class<EmptyHandle> handleType() { return EmptyHandle.class; }\n"
                + "  public EmptyHandle parseHandle(ConfigReader c) { return EmptyHandle.INSTANCE; }\n"
                + "  public ChipsetDevice resolve(EmptyHandle h, ResolveContext c) { return new ChipsetDevice() {}; }\n"
                + "}\n";
    }

    static String moduleInfo(String module, String provider, String... extraRequires) {
        StringBuilder sb = new StringBuilder("module " + module + " {\n  requires io.jvmm.api;\n");
        for (String r : extraRequires) {
            sb.append("  requires ").append(r).append(";\n");
        }
        sb.append("  provides io.jvmm.api.resource.ResourceResolver with ").append(provider).append(";\n}\n");
        return sb.toString();
    }
}
