package io.jvmm.runtime.sandbox;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A kernel's {@code modules.dep} (what depmod writes into {@code lib/modules/<release>/}): one line
 * per module, {@code kernel/net/vmw_vsock/vsock.ko: dep.ko dep.ko}, paths relative to that directory,
 * and the dependencies listed so that the LAST one is loaded first (modprobe walks the list
 * backwards). Read here instead of spawning modinfo/modprobe, so an image can be assembled for a
 * kernel the host does not run.
 */
final class ModulesDep {
    private static final Pattern MODULE_FILE = Pattern.compile("[^\\s]+\\.ko(\\.(xz|zst|gz))?");
    private final Map<String, List<String>> dependencies; // module path -> its dependencies' paths
    private final Map<String, String> byName; // module name ('-' as '_') -> path
    private final Set<String> builtin; // module names built into the kernel (modules.builtin)

    private ModulesDep(Map<String, List<String>> dependencies, Set<String> builtin) {
        this.dependencies = dependencies;
        this.builtin = builtin;
        this.byName = new HashMap<>();
        for (String path : dependencies.keySet()) {
            byName.putIfAbsent(nameOf(path), path);
        }
    }

    /**
     * Parses {@code modulesDep} (the text of modules.dep) and {@code modulesBuiltin} (the text of
     * modules.builtin, one path per line, or "" if there is none); {@code source} names the file in
     * errors.
     */
    static ModulesDep parse(String modulesDep, String modulesBuiltin, String source) {
        Map<String, List<String>> dependencies = new LinkedHashMap<>();
        String[] lines = modulesDep.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty()) {
                continue;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException(source + " line " + (i + 1)
                        + ": expected 'module.ko: dependency.ko ...', got: " + line);
            }
            String module = line.substring(0, colon).strip();
            String rest = line.substring(colon + 1).strip();
            List<String> deps = rest.isEmpty() ? List.of() : List.of(rest.split("\\s+"));
            checkPath(module, source, i + 1);
            for (String dep : deps) {
                checkPath(dep, source, i + 1);
            }
            if (dependencies.put(module, deps) != null) {
                throw new IllegalArgumentException(source + " line " + (i + 1) + ": " + module + " is listed twice");
            }
        }
        Set<String> builtin = new HashSet<>();
        for (String line : modulesBuiltin.split("\n")) {
            if (!line.isBlank()) {
                builtin.add(nameOf(line.strip()));
            }
        }
        return new ModulesDep(dependencies, builtin);
    }

    /** The files are read from the modules directory: no path may lead out of it. */
    private static void checkPath(String path, String source, int line) {
        if (path.startsWith("/") || List.of(path.split("/")).contains("..") || !MODULE_FILE.matcher(path).matches()) {
            throw new IllegalArgumentException(source + " line " + line + ": " + path
                    + " is not a module file relative to the modules directory (kernel/.../NAME.ko)");
        }
    }

    /** {@code kernel/net/vmw_vsock/vmw_vsock_virtio_transport.ko.xz} → {@code vmw_vsock_virtio_transport}. */
    static String nameOf(String pathOrName) {
        String base = pathOrName.substring(pathOrName.lastIndexOf('/') + 1);
        base = base.replaceFirst("\\.ko(\\.(xz|zst|gz))?$", "");
        return base.replace('-', '_'); // the kernel treats '-' and '_' in module names alike
    }

    /** Whether {@code name} is built into the kernel (needs no loading). */
    boolean isBuiltin(String name) {
        return builtin.contains(nameOf(name));
    }

    /**
     * The module files (paths relative to the modules directory) to load for {@code names}, each
     * after its dependencies, each once, in the order the names are given. Built-in modules are left
     * out. A name that is neither a module nor built in, a dependency without a line of its own and
     * a dependency cycle are errors naming the modules.
     */
    List<String> loadOrder(Collection<String> names) {
        Set<String> ordered = new LinkedHashSet<>();
        for (String requested : names) {
            String name = nameOf(requested);
            if (builtin.contains(name)) {
                continue;
            }
            String path = byName.get(name);
            if (path == null) {
                throw new IllegalArgumentException("kernel module " + requested
                        + " is neither in modules.dep nor built in (modules.builtin): is it a module of this kernel?");
            }
            visit(path, new ArrayList<>(), ordered);
        }
        return List.copyOf(ordered);
    }

    private void visit(String path, List<String> stack, Set<String> ordered) {
        if (ordered.contains(path)) {
            return;
        }
        if (stack.contains(path)) {
            List<String> cycle = new ArrayList<>(stack.subList(stack.indexOf(path), stack.size()));
            cycle.add(path);
            throw new IllegalArgumentException("modules.dep has a dependency cycle: "
                    + String.join(" -> ", cycle.stream().map(ModulesDep::nameOf).toList()));
        }
        List<String> deps = dependencies.get(path);
        if (deps == null) {
            throw new IllegalArgumentException("modules.dep: " + nameOf(stack.get(stack.size() - 1)) + " depends on "
                    + path + ", which has no line of its own (a stale modules.dep? run depmod)");
        }
        stack.add(path);
        // modprobe loads the last-listed dependency first
        for (int i = deps.size() - 1; i >= 0; i--) {
            visit(deps.get(i), stack, ordered);
        }
        stack.remove(stack.size() - 1);
        ordered.add(path);
    }
}
