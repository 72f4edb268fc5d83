package io.jvmm.api.device;

import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.ResolveContext;
import io.jvmm.api.resource.ResolveException;
import io.jvmm.api.resource.ResourceHandle;
import io.jvmm.api.resource.ResourceKind;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.api.resource.ResourceResolver;
import java.util.Objects;
import java.util.function.Function;

/**
 * The base of a {@code chipset_device} resolver: it answers {@link #kind()}, {@link #id()},
 * {@link #handleType()} and {@link #parseHandle} from what the subclass's constructor passes, so a
 * resolver is its constructor and {@link #resolve}:
 *
 * <pre>{@code
 * public final class PostCodeResolver extends ChipsetDeviceResolver<PostCodeHandle> {
 *     public PostCodeResolver() {
 *         super(PostCodeHandle.ID, PostCodeHandle.class, PostCodeHandle::parse);
 *     }
 *
 *     public ChipsetDevice resolve(PostCodeHandle handle, ResolveContext context) {
 *         return new PostCodeDevice(context.deviceName(), handle.port(), context.board().clock());
 *     }
 * }
 * }</pre>
 *
 * @param <H> the handle record
 */
public abstract class ChipsetDeviceResolver<H extends ResourceHandle> implements ResourceResolver<H, ChipsetDevice> {
    private final String id;
    private final Class<H> handleType;
    private final Function<ConfigReader, H> parser;

    /**
     * @param id the id within {@code chipset_device}
     * @param handleType the handle record type
     * @param parser reads a handle from a manifest's {@code config} object (usually {@code Handle::parse})
     */
    protected ChipsetDeviceResolver(String id, Class<H> handleType, Function<ConfigReader, H> parser) {
        this.id = Objects.requireNonNull(id, "id");
        this.handleType = Objects.requireNonNull(handleType, "handleType");
        this.parser = Objects.requireNonNull(parser, "parser");
    }

    @Override
    public final ResourceKind<ChipsetDevice> kind() {
        return ResourceKinds.CHIPSET_DEVICE;
    }

    @Override
    public final String id() {
        return id;
    }

    @Override
    public final Class<H> handleType() {
        return handleType;
    }

    @Override
    public final H parseHandle(ConfigReader config) {
        return parser.apply(config);
    }

    @Override
    public abstract ChipsetDevice resolve(H handle, ResolveContext context) throws ResolveException;
}
