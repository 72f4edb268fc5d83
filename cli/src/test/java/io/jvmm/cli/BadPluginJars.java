package io.jvmm.cli;

import io.jvmm.testkit.PluginJarBuilder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Builds small plugin jars at test time with the JDK's javac and jar tools. */
final class BadPluginJars {
    private final PluginJarBuilder builder;

    BadPluginJars(Path work) {
        this.builder = new PluginJarBuilder(work);
    }

    /**
     * Compiles {@code sources} (path relative to the source root to text) and jars the classes plus
     * {@code resources} as {@code outDir/name.jar}. A module-info.java in sources makes it a module.
     */
    Path jar(String name, Map<String, String> sources, Map<String, String> resources, Path outDir) throws IOException {
        return builder.jar(name, sources, resources, outDir.resolve(name + ".jar"), List.of());
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
        return PluginJarBuilder.moduleInfo(module, provider);
    }
}
