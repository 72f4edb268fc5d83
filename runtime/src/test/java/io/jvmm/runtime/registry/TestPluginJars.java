package io.jvmm.runtime.registry;

import io.jvmm.testkit.PluginJarBuilder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Plugin sources for the registry tests; {@link PluginJarBuilder} compiles and jars them. */
final class TestPluginJars {
    private final PluginJarBuilder builder;

    TestPluginJars(Path work) {
        this.builder = new PluginJarBuilder(work);
    }

    /** Compiles {@code sources} and jars them with {@code resources} as {@code outDir/name.jar}. */
    Path jar(String name, Map<String, String> sources, Map<String, String> resources, Path outDir,
            List<Path> extraModulePath) throws IOException {
        return builder.jar(name, sources, resources, outDir.resolve(name + ".jar"), extraModulePath);
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
                + "  public ChipsetDevice resolve(EmptyHandle h, ResolveContext c) { return (ChipsetDevice) () -> io.jvmm.api.device.Capabilities.NONE; }\n"
                + "}\n";
    }

    static String moduleInfo(String module, String provider, String... extraRequires) {
        return PluginJarBuilder.moduleInfo(module, provider, extraRequires);
    }
}
