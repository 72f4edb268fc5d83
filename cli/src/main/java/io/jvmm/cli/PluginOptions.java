package io.jvmm.cli;

import io.jvmm.runtime.registry.PluginLayer;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;

/** {@code --plugin-path DIR} and {@code JVMM_PLUGIN_PATH}, shared by the commands that load resolvers. */
final class PluginOptions {
    /**
     * The environment variable with more plugin directories, separated by ':' like PATH; the
     * launcher used to put them on the boot module path, which a jlinked runtime has none of.
     */
    static final String ENVIRONMENT = "JVMM_PLUGIN_PATH";

    List<Path> pluginPath = new ArrayList<>();

    /** Adds this instance's option to {@code command}. */
    void addTo(CommandSpec command) {
        command.addOption(BoundOptions.list("--plugin-path", Path.class, () -> pluginPath, v -> pluginPath = v)
                .paramLabel("DIR")
                .description("Load every jar in DIR into a plugin layer (repeatable; JVMM_PLUGIN_PATH=DIR:DIR... adds more).")
                .build());
    }

    /** Loads the plugin layer from --plugin-path and this process's JVMM_PLUGIN_PATH. */
    PluginLayer load() {
        return load(System.getenv(ENVIRONMENT));
    }

    /**
     * Loads the plugin layer from --plugin-path and then the directories of {@code environment}
     * (a JVMM_PLUGIN_PATH value, or null); a missing directory is a configuration error.
     */
    PluginLayer load(String environment) {
        // An empty DIR would mean the working directory, silently; it is almost always an unset variable.
        if (pluginPath.stream().anyMatch(p -> p.toString().isEmpty())) {
            throw UserError.config("--plugin-path: the directory name is empty; give a directory of plugin jars, "
                    + "e.g. --plugin-path plugins/ (or . for the current directory)");
        }
        List<Path> fromEnvironment = directories(environment);
        for (Path dir : fromEnvironment) {
            if (!Files.isDirectory(dir)) {
                throw UserError.config(ENVIRONMENT + ": " + dir + " is not a directory; set " + ENVIRONMENT
                        + " to directories of plugin jars separated by ':', or unset it");
            }
        }
        List<Path> all = new ArrayList<>(pluginPath);
        all.addAll(fromEnvironment);
        if (all.isEmpty()) {
            return PluginLayer.none();
        }
        try {
            return PluginLayer.load(all);
        } catch (IllegalArgumentException e) {
            throw UserError.config("--plugin-path: " + e.getMessage());
        }
    }

    /** The directories of a JVMM_PLUGIN_PATH value; empty elements (a stray ':') are skipped, as in PATH-style lists. */
    static List<Path> directories(String environment) {
        List<Path> dirs = new ArrayList<>();
        if (environment != null) {
            for (String element : environment.split(File.pathSeparator)) {
                if (!element.isEmpty()) {
                    dirs.add(Path.of(element));
                }
            }
        }
        return dirs;
    }
}
