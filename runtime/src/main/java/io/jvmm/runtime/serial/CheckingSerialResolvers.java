package io.jvmm.runtime.serial;

import io.jvmm.api.handles.FileSerialHandle;
import io.jvmm.api.handles.StdioSerialHandle;
import io.jvmm.api.handles.TcpSerialHandle;
import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.ResolveContext;
import io.jvmm.api.resource.ResolveException;
import io.jvmm.api.resource.ResourceHandle;
import io.jvmm.api.resource.ResourceKind;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.api.resource.ResourceResolver;
import io.jvmm.api.serial.SerialBackend;
import java.util.List;
import java.util.function.Function;

/**
 * Stand-ins for the serial backends that reach outside the process ({@code stdio}, {@code file},
 * {@code tcp}), for a board that is only checked ({@code jvmm check}): each parses its handle like
 * the real one and checks what can be known without side effects (the file's directory and
 * permissions, the host name), then resolves to a {@link DisconnectedSerialBackend}. No file is
 * created, no port bound, standard input is not read.
 */
public final class CheckingSerialResolvers {
    private CheckingSerialResolvers() {}

    /** One stand-in for each host backend, to {@code ResolverRegistry.Builder.replace} the real ones. */
    public static List<ResourceResolver<?, ?>> all() {
        return List.of(
                new Standin<>(StdioSerialHandle.ID, StdioSerialHandle.class, StdioSerialHandle::parse, (h, device) -> { }),
                new Standin<>(FileSerialHandle.ID, FileSerialHandle.class, FileSerialHandle::parse,
                        FileSerialResolver::checkedPath),
                new Standin<>(TcpSerialHandle.ID, TcpSerialHandle.class, TcpSerialHandle::parse,
                        TcpSerialResolver::checkAddress));
    }

    /** What a stand-in checks: throws the real resolver's message for what it can know. */
    @FunctionalInterface
    private interface Check<H> {
        void check(H handle, String deviceName) throws ResolveException;
    }

    private record Standin<H extends ResourceHandle>(String id, Class<H> handleType, Function<ConfigReader, H> parser,
            Check<H> check) implements ResourceResolver<H, SerialBackend> {
        @Override
        public ResourceKind<SerialBackend> kind() {
            return ResourceKinds.SERIAL_BACKEND;
        }

        @Override
        public H parseHandle(ConfigReader config) {
            return parser.apply(config);
        }

        @Override
        public SerialBackend resolve(H handle, ResolveContext context) throws ResolveException {
            check.check(handle, context.deviceName());
            return new DisconnectedSerialBackend();
        }
    }
}
