package io.jvmm.runtime.registry;

import java.io.IOException;
import java.io.InputStream;
import java.lang.module.Configuration;
import java.lang.module.FindException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.lang.module.ResolutionException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Loads the jars of plugin directories into one child layer of the boot layer.
 *
 * <p>A jar that cannot be used (not a named module, unreadable, duplicate module name, missing
 * {@code requires}) is reported by file name and reason and left out; the other jars still load.
 *
 * @param layer the plugin layer (the boot layer when nothing was loaded)
 * @param failures jars that were left out, with reasons
 * @param loaded the jars in the layer
 */
public record PluginLayer(ModuleLayer layer, List<ProviderFailure> failures, List<Path> loaded) {
    private static final String SERVICE = "plugin";

    public PluginLayer {
        failures = List.copyOf(failures);
        loaded = List.copyOf(loaded);
    }

    /** No plugins: the boot layer. */
    public static PluginLayer none() {
        return new PluginLayer(ModuleLayer.boot(), List.of(), List.of());
    }

    /**
     * Loads every {@code *.jar} in {@code directories}. A directory that does not exist or is not
     * a directory is an {@link IllegalArgumentException} (a configuration error).
     */
    public static PluginLayer load(List<Path> directories) {
        List<ProviderFailure> failures = new ArrayList<>();
        Map<String, Path> byModule = new LinkedHashMap<>();
        Map<String, ModuleReference> refs = new LinkedHashMap<>();
        for (Path dir : directories) {
            if (!Files.isDirectory(dir)) {
                throw new IllegalArgumentException("plugin directory " + dir + " does not exist or is not a directory");
            }
            for (Path jar : jars(dir)) {
                String file = jar.getFileName().toString();
                // Before reading it as a module: a newer module-info.class or provider class would
                // otherwise fail later as "(unknown)" or with the JVM's class-file jargon.
                int newest = newestClassFileJava(jar);
                if (newest > Runtime.version().feature()) {
                    failures.add(new ProviderFailure(SERVICE, file, "compiled for Java " + newest + ", this JVM is "
                            + Runtime.version().feature() + "; run jvmm on Java " + newest
                            + " or later, or build the plugin with --release " + Runtime.version().feature()));
                    continue;
                }
                Optional<ModuleReference> ref;
                try {
                    Set<ModuleReference> found = ModuleFinder.of(jar).findAll();
                    ref = found.stream().findFirst();
                } catch (FindException e) {
                    failures.add(new ProviderFailure(SERVICE, file, "cannot be read as a module: "
                            + ProviderLoader.rootMessage(e)));
                    continue;
                }
                if (ref.isEmpty()) {
                    failures.add(new ProviderFailure(SERVICE, file, "contains no module"));
                    continue;
                }
                ModuleDescriptor d = ref.get().descriptor();
                if (d.isAutomatic()) {
                    // An automatic module's provides are its META-INF/services entries.
                    boolean listsProviders = d.provides().stream().anyMatch(p -> p.service().startsWith("io.jvmm.api."));
                    failures.add(new ProviderFailure(SERVICE, file, listsProviders
                            ? "is not a module (no module-info.class); build it as a named module that requires "
                                    + "io.jvmm.api and provides its resolvers"
                            : "is not a module (no module-info.class) and provides no resolver: a library jar, "
                                    + "not a plugin; plugin directories load plugin modules only, so it was not loaded "
                                    + "(build a library a plugin needs into that plugin's jar)"));
                    continue;
                }
                if (ModuleLayer.boot().findModule(d.name()).isPresent()) {
                    failures.add(new ProviderFailure(SERVICE, file, "module " + d.name()
                            + " is already on the module path; remove one copy"));
                    continue;
                }
                Path other = byModule.putIfAbsent(d.name(), jar);
                if (other != null) {
                    failures.add(new ProviderFailure(SERVICE, file, "module " + d.name() + " is also in "
                            + other.getFileName() + "; remove one copy"));
                    continue;
                }
                refs.put(d.name(), ref.get());
            }
        }
        // Resolve; drop any module whose resolution fails (missing requires) and try again.
        while (true) {
            if (refs.isEmpty()) {
                return new PluginLayer(ModuleLayer.boot(), failures, List.of());
            }
            List<Path> jars = new ArrayList<>();
            for (String name : refs.keySet()) {
                jars.add(byModule.get(name));
            }
            try {
                ModuleFinder finder = ModuleFinder.of(jars.toArray(Path[]::new));
                Configuration cf = ModuleLayer.boot().configuration()
                        .resolveAndBind(finder, ModuleFinder.of(), refs.keySet());
                ModuleLayer layer = ModuleLayer.boot()
                        .defineModulesWithOneLoader(cf, ClassLoader.getSystemClassLoader());
                return new PluginLayer(layer, failures, jars);
            } catch (FindException | ResolutionException | LayerInstantiationException e) {
                String culprit = culprit(refs, e);
                if (culprit == null) {
                    for (String name : refs.keySet()) {
                        failures.add(new ProviderFailure(SERVICE, byModule.get(name).getFileName().toString(),
                                "plugin layer failed: " + ProviderLoader.rootMessage(e)));
                    }
                    return new PluginLayer(ModuleLayer.boot(), failures, List.of());
                }
                failures.add(new ProviderFailure(SERVICE, byModule.get(culprit).getFileName().toString(),
                        ProviderLoader.rootMessage(e)));
                refs.remove(culprit);
            }
        }
    }

    /** The module a resolution error names first (the JDK's messages say "Module X ..."). */
    private static String culprit(Map<String, ModuleReference> refs, RuntimeException e) {
        String msg = String.valueOf(e.getMessage());
        String best = null;
        int bestAt = Integer.MAX_VALUE;
        for (String name : refs.keySet()) {
            int at = msg.indexOf("odule " + name + " ");
            if (at < 0) {
                at = msg.indexOf(name);
            }
            if (at >= 0 && at < bestAt) {
                bestAt = at;
                best = name;
            }
        }
        return best;
    }

    /**
     * The newest Java release any class of {@code jar} was compiled for (class file major version
     * minus 44), or 0 if it cannot tell. Multi-release entries (META-INF/versions/) are left out:
     * the JVM picks only those it can run.
     */
    static int newestClassFileJava(Path jar) {
        int newest = 0;
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            var entries = zip.entries();
            while (entries.hasMoreElements()) {
                ZipEntry e = entries.nextElement();
                if (e.isDirectory() || !e.getName().endsWith(".class") || e.getName().startsWith("META-INF/versions/")) {
                    continue;
                }
                try (InputStream in = zip.getInputStream(e)) {
                    byte[] head = in.readNBytes(8);
                    if (head.length == 8 && (head[0] & 0xFF) == 0xCA && (head[1] & 0xFF) == 0xFE
                            && (head[2] & 0xFF) == 0xBA && (head[3] & 0xFF) == 0xBE) {
                        int major = ((head[6] & 0xFF) << 8) | (head[7] & 0xFF);
                        newest = Math.max(newest, major - 44);
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            return 0; // not a readable zip: reading it as a module reports that, with the reason
        }
        return newest;
    }

    private static List<Path> jars(Path dir) {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.jar")) {
            ds.forEach(out::add);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot list plugin directory " + dir + ": " + e.getMessage(), e);
        }
        out.sort(null);
        return out;
    }
}
