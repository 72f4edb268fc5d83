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
        try {
            return PluginLayer.load(pluginPath);
        } catch (IllegalArgumentException e) {
            throw UserError.config("--plugin-path: " + e.getMessage());
        }
    }
}
