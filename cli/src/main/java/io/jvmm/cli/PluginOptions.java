package io.jvmm.cli;

import io.jvmm.runtime.registry.PluginLayer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** {@code --plugin-path DIR}, shared by the commands that load resolvers. */
final class PluginOptions {
    @Option(names = "--plugin-path", paramLabel = "DIR",
            description = "Load every jar in DIR into a plugin layer (repeatable).")
    List<Path> pluginPath = new ArrayList<>();

    /** Loads the plugin layer; a missing directory is a configuration error. */
    PluginLayer load() {
        if (pluginPath.isEmpty()) {
            return PluginLayer.none();
        }
        // An empty DIR would mean the working directory, silently; it is almost always an unset variable.
        if (pluginPath.stream().anyMatch(p -> p.toString().isEmpty())) {
            throw UserError.config("--plugin-path: the directory name is empty; give a directory of plugin jars, "
                    + "e.g. --plugin-path plugins/ (or . for the current directory)");
        }
        try {
            return PluginLayer.load(pluginPath);
        } catch (IllegalArgumentException e) {
            throw UserError.config("--plugin-path: " + e.getMessage());
        }
    }
}
