package io.jvmm.runtime.registry;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.function.Consumer;

/**
 * Loads every provider of a service from a module layer (and its parents) one by one, so that a
 * provider that fails to load or instantiate is reported and skipped while the others still load.
 */
final class ProviderLoader {
    private ProviderLoader() {}

    static <S> void load(Class<S> service, ModuleLayer layer, Consumer<S> sink, List<ProviderFailure> failures) {
        ServiceLoader<S> loader = ServiceLoader.load(layer, service);
        Iterator<ServiceLoader.Provider<S>> it = loader.stream().iterator();
        while (true) {
            ServiceLoader.Provider<S> provider;
            try {
                if (!it.hasNext()) {
                    return;
                }
                provider = it.next();
            } catch (ServiceConfigurationError e) {
                failures.add(new ProviderFailure(service.getSimpleName(), "(unknown)", rootMessage(e)));
                continue;
            }
            try {
                sink.accept(provider.get());
            } catch (ServiceConfigurationError | RuntimeException | LinkageError e) {
                failures.add(new ProviderFailure(service.getSimpleName(),
                        provider.type().getName() + " in " + ProviderOrigin.of(provider.type()).describe(),
                        rootMessage(e)));
            }
        }
    }

    static String rootMessage(Throwable e) {
        List<String> parts = new ArrayList<>();
        for (Throwable t = e; t != null && parts.size() < 4; t = t.getCause()) {
            String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
            if (parts.isEmpty() || !parts.get(parts.size() - 1).contains(m)) {
                parts.add(m);
            }
        }
        return String.join(": ", parts);
    }
}
