package io.jvmm.runtime.serial;

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
import io.jvmm.api.serial.SerialBackendListener;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Resolves {@code serial_backend:sink}: a guest's output on a serial port, debugcon or virtio
 * console goes straight to a {@link ByteSink} that the embedding program supplies, with no file,
 * buffer or thread in between. For programs that run VMs through the embedding API
 * ({@link io.jvmm.runtime.vm.VmLauncher}) and want the guest's bytes in memory:
 *
 * <pre>{@code
 * SinkSerialResolver sinks = new SinkSerialResolver();
 * VmManifest manifest = new VmManifestBuilder(type, arch)
 *         .withDebugcon(sinks.sink("vm1-debugcon", (data, off, len) -> ...), 0xE9).build();
 * new VmLauncher(layer).addResolver(sinks).launch(spec, hypervisor);
 * ...
 * sinks.remove("vm1-debugcon"); // once vm1 is closed
 * }</pre>
 *
 * <p>A sink stays registered, with everything its lambda holds, until {@link #remove}: a program
 * that runs VMs one after another removes each VM's sinks once that VM is closed, which also frees
 * the name for a later VM.
 *
 * <p>The sink is called on the thread of the device that writes, usually a vCPU thread in the
 * middle of a guest exit, so it must be quick and must not block (hand the bytes to another thread
 * for anything slow); the array is the device's and valid only during the call. The backend is
 * always connected and has no input. Not a {@link java.util.ServiceLoader} provider: a sink exists
 * only in the program that registers it, so a manifest naming one (its handle is written as the
 * sink's name) resolves only where a resolver with that name is registered.
 */
public final class SinkSerialResolver implements ResourceResolver<SinkSerialResolver.SinkHandle, SerialBackend> {
    /** The resolver id. */
    public static final String ID = "sink";

    /** Receives a guest's output bytes. */
    @FunctionalInterface
    public interface ByteSink {
        /** Takes {@code length} bytes of {@code data} from {@code offset}; must not block or keep the array. */
        void write(byte[] data, int offset, int length);
    }

    /**
     * Names a sink registered with {@link #sink}.
     *
     * @param name the sink's name, unique within its resolver
     */
    public record SinkHandle(String name) implements ResourceHandle {
        public SinkHandle {
            Objects.requireNonNull(name, "name");
            if (name.isBlank()) {
                throw new IllegalArgumentException("sink name must not be blank");
            }
        }

        @Override
        public void writeConfig(ConfigWriter out) {
            out.string("name", name);
        }
    }

    private final Map<String, ByteSink> sinks = new ConcurrentHashMap<>();

    public SinkSerialResolver() {}

    /**
     * Registers {@code sink} under {@code name} and returns the resource that a manifest uses as a
     * port's backend.
     *
     * @throws IllegalArgumentException when the name is taken
     */
    public Resource<SerialBackend> sink(String name, ByteSink sink) {
        SinkHandle handle = new SinkHandle(name);
        Objects.requireNonNull(sink, "sink");
        if (sinks.putIfAbsent(name, sink) != null) {
            throw new IllegalArgumentException("a sink named '" + name + "' is registered already");
        }
        return Resource.of(ResourceKinds.SERIAL_BACKEND, ID, handle);
    }

    /**
     * Unregisters the sink named {@code name}, so that the resolver no longer holds it and the name
     * can be registered again. A backend already resolved from it (a running VM's port) keeps
     * writing to the sink; new resolutions of the name fail. Call it after the VMs using the sink
     * are closed.
     *
     * @return whether a sink of that name was registered
     */
    public boolean remove(String name) {
        return sinks.remove(Objects.requireNonNull(name, "name")) != null;
    }

    @Override
    public ResourceKind<SerialBackend> kind() {
        return ResourceKinds.SERIAL_BACKEND;
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public Class<SinkHandle> handleType() {
        return SinkHandle.class;
    }

    @Override
    public SinkHandle parseHandle(ConfigReader config) {
        String name = config.string("name");
        if (name.isBlank()) {
            throw config.error("name", "must not be blank");
        }
        return new SinkHandle(name);
    }

    @Override
    public SerialBackend resolve(SinkHandle handle, ResolveContext context) throws ResolveException {
        ByteSink sink = sinks.get(handle.name());
        if (sink == null) {
            throw new ResolveException("device '" + context.deviceName() + "': no byte sink named '" + handle.name()
                    + "' is registered in this program (SinkSerialResolver.sink)");
        }
        return new SinkBackend(sink);
    }

    /** Output to the sink on the writer's thread; never any input. */
    private record SinkBackend(ByteSink sink) implements SerialBackend {
        @Override
        public boolean isConnected() {
            return true;
        }

        @Override
        public int write(byte[] data, int offset, int length) {
            sink.write(data, offset, length);
            return length;
        }

        @Override
        public int read(byte[] data, int offset, int length) {
            return 0;
        }

        @Override
        public void setListener(SerialBackendListener listener) {
            // Always connected, no input: nothing to tell.
        }

        @Override
        public void close() {}
    }
}
