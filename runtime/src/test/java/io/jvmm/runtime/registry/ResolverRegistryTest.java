package io.jvmm.runtime.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.BoardServices;
import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.handles.EmptyHandle;
import io.jvmm.api.handles.MissingDevHandle;
import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.ResolveContext;
import io.jvmm.api.resource.ResolveException;
import io.jvmm.api.resource.Resource;
import io.jvmm.api.resource.ResourceKind;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.api.resource.ResourceResolver;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class ResolverRegistryTest {
    /** A chipset-device resolver whose resolve does {@code body}. */
    static final class TestResolver implements ResourceResolver<EmptyHandle, ChipsetDevice> {
        private final String id;
        private final Function<EmptyHandle, Object> body;

        TestResolver(String id, Function<EmptyHandle, Object> body) {
            this.id = id;
            this.body = body;
        }

        @Override
        public ResourceKind<ChipsetDevice> kind() {
            return ResourceKinds.CHIPSET_DEVICE;
        }

        @Override
        public String id() {
            return id;
        }

        @Override
        public Class<EmptyHandle> handleType() {
            return EmptyHandle.class;
        }

        @Override
        public EmptyHandle parseHandle(ConfigReader config) {
            return EmptyHandle.INSTANCE;
        }

        @Override
        public ChipsetDevice resolve(EmptyHandle handle, ResolveContext context) {
            return (ChipsetDevice) body.apply(handle);
        }
    }

    /** A resolver declaring a kind "chipset_device" that resolves to the wrong type. */
    static final class WrongKindResolver implements ResourceResolver<EmptyHandle, String> {
        @Override
        public ResourceKind<String> kind() {
            return new ResourceKind<>("chipset_device", String.class);
        }

        @Override
        public String id() {
            return "impostor";
        }

        @Override
        public Class<EmptyHandle> handleType() {
            return EmptyHandle.class;
        }

        @Override
        public EmptyHandle parseHandle(ConfigReader config) {
            return EmptyHandle.INSTANCE;
        }

        @Override
        public String resolve(EmptyHandle handle, ResolveContext context) {
            return "x";
        }
    }

    static ResolveContext context(String name) {
        return new ResolveContext() {
            @Override
            public String deviceName() {
                return name;
            }

            @Override
            public <T> T resolve(Resource<T> resource) {
                throw new UnsupportedOperationException();
            }

            @Override
            public BoardServices board() {
                throw new UnsupportedOperationException();
            }
        };
    }

    private static Resource<ChipsetDevice> res(String id) {
        return Resource.of(ResourceKinds.CHIPSET_DEVICE, id, EmptyHandle.INSTANCE);
    }

    @Test
    void explicitResolverIsFoundAndResolves() throws Exception {
        ChipsetDevice dev = (ChipsetDevice) () -> io.jvmm.api.device.Capabilities.NONE;
        ResolverRegistry reg = ResolverRegistry.builder().add(new TestResolver("a", h -> dev)).build();
        assertTrue(reg.find("chipset_device", "a").isPresent());
        assertFalse(reg.find("chipset_device", "b").isPresent());
        assertSame(dev, reg.resolve(res("a"), context("dev-a")));
        assertEquals(List.of("a"), reg.idsOf("chipset_device"));
        assertTrue(reg.failures().isEmpty());
    }

    @Test
    void missingIdNamesDeviceKindIdAndAlternatives() {
        ResolverRegistry reg = ResolverRegistry.builder()
                .add(new TestResolver("b", h -> null)).add(new TestResolver("a", h -> null)).build();
        ResolveException e = assertThrows(ResolveException.class, () -> reg.resolve(res("zz"), context("my-dev")));
        assertEquals("device 'my-dev': no resolver for chipset_device:zz (available ids of kind chipset_device: a, b);"
                + " add the plugin that provides it to the module path or a --plugin-path directory", e.getMessage());
        ResolveException none = assertThrows(ResolveException.class,
                () -> reg.require("serial_backend", "tcp", "com1"));
        assertTrue(none.getMessage().contains("no resolvers of kind serial_backend are loaded"), none.getMessage());
    }

    @Test
    void duplicateKeyIsReportedAndUnusableButOthersWork() throws Exception {
        ChipsetDevice dev = (ChipsetDevice) () -> io.jvmm.api.device.Capabilities.NONE;
        ResolverRegistry reg = ResolverRegistry.builder()
                .add(new TestResolver("dup", h -> dev))
                .add(new TestResolver("dup", h -> dev))
                .add(new TestResolver("ok", h -> dev))
                .build();
        assertEquals(1, reg.failures().size());
        ProviderFailure f = reg.failures().get(0);
        assertEquals("chipset_device:dup", f.provider());
        assertTrue(f.reason().contains("provided more than once, by io.jvmm.runtime"), f.reason());
        ResolveException e = assertThrows(ResolveException.class, () -> reg.resolve(res("dup"), context("d")));
        assertTrue(e.getMessage().contains("is provided by more than one module: io.jvmm.runtime"), e.getMessage());
        assertTrue(e.getMessage().contains(" and io.jvmm.runtime"), e.getMessage());
        assertSame(dev, reg.resolve(res("ok"), context("d")));
    }

    /**
     * A registry built from another (many VMs from one loaded set of providers) has the same
     * resolver instances, the same failures and duplicates, plus its own additions, and does not
     * change the base.
     */
    @Test
    void aRegistryBuiltFromAnotherSharesItsResolversAndFailuresAndAddsItsOwn() throws Exception {
        ChipsetDevice dev = (ChipsetDevice) () -> io.jvmm.api.device.Capabilities.NONE;
        ChipsetDevice own = (ChipsetDevice) () -> io.jvmm.api.device.Capabilities.NONE;
        TestResolver ok = new TestResolver("ok", h -> dev);
        ResolverRegistry base = ResolverRegistry.builder()
                .add(new TestResolver("dup", h -> dev)).add(new TestResolver("dup", h -> dev)).add(ok).build();
        ResolverRegistry vm = ResolverRegistry.builder().addAll(base).add(new TestResolver("own", h -> own)).build();
        assertEquals(base.failures(), vm.failures());
        assertSame(ok, vm.find("chipset_device", "ok").orElseThrow().resolver());
        assertSame(dev, vm.resolve(res("ok"), context("d")));
        assertSame(own, vm.resolve(res("own"), context("d")));
        assertThrows(ResolveException.class, () -> vm.resolve(res("dup"), context("d")));
        assertTrue(base.find("chipset_device", "own").isEmpty(), "the base is unchanged");
    }

    @Test
    void conflictingKindTypeIsAFailure() {
        ResolverRegistry reg = ResolverRegistry.builder()
                .add(new TestResolver("a", h -> null)).add(new WrongKindResolver()).build();
        assertEquals(1, reg.failures().size());
        assertTrue(reg.failures().get(0).reason().contains("resolving to java.lang.String"));
        assertTrue(reg.find("chipset_device", "impostor").isEmpty());
    }

    @Test
    void resolverCrashIsWrappedWithModuleAndDevice() {
        ResolverRegistry reg = ResolverRegistry.builder()
                .add(new TestResolver("boom", h -> {
                    throw new IllegalStateException("kaboom");
                })).build();
        ResolveException e = assertThrows(ResolveException.class, () -> reg.resolve(res("boom"), context("dev1")));
        assertTrue(e.getMessage().startsWith("device 'dev1': resolver for chipset_device:boom in io.jvmm.runtime"),
                e.getMessage());
        assertTrue(e.getMessage().endsWith("failed: kaboom"), e.getMessage());
    }

    @Test
    void resolverReturningNullOrWrongTypeIsAnError() {
        ResolverRegistry reg = ResolverRegistry.builder().add(new TestResolver("nul", h -> null)).build();
        ResolveException e = assertThrows(ResolveException.class, () -> reg.resolve(res("nul"), context("x")));
        assertTrue(e.getMessage().contains("returned null, not a ChipsetDevice"), e.getMessage());
    }

    @Test
    void handleOfWrongTypeIsAnError() {
        ResolverRegistry reg = ResolverRegistry.builder().add(new TestResolver("a", h -> null)).build();
        Resource<ChipsetDevice> r = Resource.of(ResourceKinds.CHIPSET_DEVICE, "a", new MissingDevHandle());
        ResolveException e = assertThrows(ResolveException.class, () -> reg.resolve(r, context("x")));
        assertTrue(e.getMessage().contains("carries a MissingDevHandle but its resolver"), e.getMessage());
    }

    @Test
    void bootLayerFindsDevMissingWithItsOrigin() {
        ResolverRegistry reg = ResolverRegistry.builder().loadBootLayer().build();
        RegisteredResolver r = reg.find("chipset_device", "missing_dev").orElseThrow();
        assertEquals("io.jvmm.dev.missing", r.origin().module());
        assertInstanceOf(ResourceResolver.class, r.resolver());
        assertEquals(MissingDevHandle.class, r.resolver().handleType());
    }
}
