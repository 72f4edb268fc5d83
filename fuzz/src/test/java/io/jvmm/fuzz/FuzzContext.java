package io.jvmm.fuzz;

import io.jvmm.api.device.BoardServices;
import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.ConfigWriter;
import io.jvmm.api.resource.ResolveContext;
import io.jvmm.api.resource.ResolveException;
import io.jvmm.api.resource.Resource;
import io.jvmm.api.resource.ResourceHandle;
import io.jvmm.api.resource.ResourceKind;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.api.resource.ResourceResolver;
import io.jvmm.api.serial.SerialBackend;
import io.jvmm.runtime.input.KeyboardDistributor;
import io.jvmm.runtime.input.KeyboardInputResolver;
import io.jvmm.runtime.registry.ResolverRegistry;
import io.jvmm.testkit.SerialPipe;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.stream.Collectors;

/**
 * Resolves one device the way the chipset builder does: through the resolver registry, with
 * nested resources (serial backends, keyboard input, battery sources) resolved by the same
 * registry. The device plugins sit on the class path here, so their resolvers come from their
 * {@code META-INF/services} entries.
 */
final class FuzzContext implements ResolveContext {
    /** The serial backend id the fuzz tests use: the host end is {@link #pipe}. */
    static final String PIPE_ID = "fuzz_pipe";

    /** The class path's resolvers, loaded once; resolvers are stateless by contract. */
    private static final List<ResourceResolver<?, ?>> PLUGINS = ServiceLoader.load(ResourceResolver.class).stream()
            .map(p -> (ResourceResolver<?, ?>) p.get())
            .collect(Collectors.toUnmodifiableList());

    final String deviceName;
    final FuzzBoard board = new FuzzBoard();
    final SerialPipe pipe;
    final KeyboardDistributor keyboard;
    private final ResolverRegistry registry;
    /** Nested objects resolved for the device (its backend, its battery source, ...). */
    final List<Object> resolved = new ArrayList<>();

    FuzzContext(String deviceName, SerialPipe pipe, KeyboardDistributor keyboard) {
        this.deviceName = deviceName;
        this.pipe = pipe;
        this.keyboard = keyboard;
        ResolverRegistry.Builder b = ResolverRegistry.builder();
        PLUGINS.forEach(b::add);
        b.add(new PipeResolver(pipe));
        b.add(new KeyboardInputResolver(keyboard));
        this.registry = b.build();
        if (!registry.failures().isEmpty()) {
            throw new AssertionError("resolver registry problems: " + registry.failures());
        }
    }

    /**
     * Resolves {@code device} through its registered resolver and places it on the board, which
     * claims the regions it declares, as the chipset builder does.
     */
    ChipsetDevice build(Resource<ChipsetDevice> device) throws ResolveException {
        ChipsetDevice built = registry.resolve(device, this);
        board.attach(built);
        return built;
    }

    static Resource<SerialBackend> pipeResource() {
        return Resource.of(ResourceKinds.SERIAL_BACKEND, PIPE_ID, new PipeHandle());
    }

    @Override
    public String deviceName() {
        return deviceName;
    }

    @Override
    public <T> T resolve(Resource<T> resource) throws ResolveException {
        T object = registry.resolve(resource, this);
        resolved.add(object);
        return object;
    }

    /** The first nested object of {@code type} the device resolved. */
    <T> T resolved(Class<T> type) {
        return resolved.stream().filter(type::isInstance).map(type::cast).findFirst()
                .orElseThrow(() -> new AssertionError(deviceName + " resolved no " + type.getSimpleName()));
    }

    @Override
    public BoardServices board() {
        return board;
    }

    /** The handle of the test's serial pipe. */
    record PipeHandle() implements ResourceHandle {
        @Override
        public void writeConfig(ConfigWriter out) {}
    }

    /** Resolves {@code serial_backend:fuzz_pipe} to the test's pipe (per test, so not a provider). */
    private static final class PipeResolver implements ResourceResolver<PipeHandle, SerialBackend> {
        private final SerialPipe pipe;

        PipeResolver(SerialPipe pipe) {
            this.pipe = pipe;
        }

        @Override
        public ResourceKind<SerialBackend> kind() {
            return ResourceKinds.SERIAL_BACKEND;
        }

        @Override
        public String id() {
            return PIPE_ID;
        }

        @Override
        public Class<PipeHandle> handleType() {
            return PipeHandle.class;
        }

        @Override
        public PipeHandle parseHandle(ConfigReader config) {
            return new PipeHandle();
        }

        @Override
        public SerialBackend resolve(PipeHandle handle, ResolveContext context) {
            return pipe.backend();
        }
    }
}
