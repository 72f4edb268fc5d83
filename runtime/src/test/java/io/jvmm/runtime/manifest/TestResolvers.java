package io.jvmm.runtime.manifest;

import io.jvmm.api.battery.BatterySource;
import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.handles.BatteryHandle;
import io.jvmm.api.handles.DebugconHandle;
import io.jvmm.api.handles.DisconnectedSerialHandle;
import io.jvmm.api.handles.FixedBatteryHandle;
import io.jvmm.api.handles.I8042Handle;
import io.jvmm.api.handles.MultiplexedKeyboardHandle;
import io.jvmm.api.handles.Pl011Handle;
import io.jvmm.api.handles.ResetControlHandle;
import io.jvmm.api.handles.Serial16550Handle;
import io.jvmm.api.hv.MachineArch;
import io.jvmm.api.input.KeyboardInput;
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
import io.jvmm.runtime.registry.ResolverRegistry;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * Parse-only resolvers for the standard handles (the real device modules are not on the runtime's
 * test path), plus the real {@code missing_dev} resolver from the boot layer.
 */
final class TestResolvers {
    private TestResolvers() {}

    /** Parses with the handle record's own parse method; cannot build devices. */
    record ParseOnly<H extends ResourceHandle, T>(ResourceKind<T> kind, String id, Class<H> handleType,
            Function<ConfigReader, H> parser) implements ResourceResolver<H, T> {
        @Override
        public H parseHandle(ConfigReader config) {
            return parser.apply(config);
        }

        @Override
        public T resolve(H handle, ResolveContext context) throws ResolveException {
            throw new ResolveException("test resolver " + kind.name() + ":" + id + " cannot build anything");
        }
    }

    /** A serial backend that tests can tell apart from others by name: {@code serial_backend:test_console}. */
    record ConsoleHandle(String name) implements ResourceHandle {
        static final String ID = "test_console";

        static Resource<SerialBackend> resource(String name) {
            return Resource.of(ResourceKinds.SERIAL_BACKEND, ID, new ConsoleHandle(name));
        }

        @Override
        public void writeConfig(ConfigWriter out) {
            out.string("name", name);
        }
    }

    static List<ResourceResolver<?, ?>> standard() {
        return List.of(
                new ParseOnly<Serial16550Handle, ChipsetDevice>(ResourceKinds.CHIPSET_DEVICE, Serial16550Handle.ID,
                        Serial16550Handle.class, Serial16550Handle::parse),
                new ParseOnly<Pl011Handle, ChipsetDevice>(ResourceKinds.CHIPSET_DEVICE, Pl011Handle.ID,
                        Pl011Handle.class, Pl011Handle::parse),
                new ParseOnly<DebugconHandle, ChipsetDevice>(ResourceKinds.CHIPSET_DEVICE, DebugconHandle.ID,
                        DebugconHandle.class, DebugconHandle::parse),
                new ParseOnly<I8042Handle, ChipsetDevice>(ResourceKinds.CHIPSET_DEVICE, I8042Handle.ID,
                        I8042Handle.class, I8042Handle::parse),
                new ParseOnly<ResetControlHandle, ChipsetDevice>(ResourceKinds.CHIPSET_DEVICE, ResetControlHandle.ID,
                        ResetControlHandle.class, ResetControlHandle::parse),
                new ParseOnly<BatteryHandle, ChipsetDevice>(ResourceKinds.CHIPSET_DEVICE, BatteryHandle.ID_X64,
                        BatteryHandle.class, c -> BatteryHandle.parse(MachineArch.X86_64, c)),
                new ParseOnly<BatteryHandle, ChipsetDevice>(ResourceKinds.CHIPSET_DEVICE, BatteryHandle.ID_AARCH64,
                        BatteryHandle.class, c -> BatteryHandle.parse(MachineArch.AARCH64, c)),
                new ParseOnly<MultiplexedKeyboardHandle, KeyboardInput>(ResourceKinds.KEYBOARD_INPUT,
                        MultiplexedKeyboardHandle.ID, MultiplexedKeyboardHandle.class, MultiplexedKeyboardHandle::parse),
                new ParseOnly<FixedBatteryHandle, BatterySource>(ResourceKinds.BATTERY_SOURCE, FixedBatteryHandle.ID,
                        FixedBatteryHandle.class, FixedBatteryHandle::parse),
                new ParseOnly<DisconnectedSerialHandle, SerialBackend>(ResourceKinds.SERIAL_BACKEND,
                        DisconnectedSerialHandle.ID, DisconnectedSerialHandle.class, DisconnectedSerialHandle::parse),
                new ParseOnly<ConsoleHandle, SerialBackend>(ResourceKinds.SERIAL_BACKEND, ConsoleHandle.ID,
                        ConsoleHandle.class, c -> new ConsoleHandle(c.string("name"))));
    }

    /** The boot layer's resolvers (missing_dev) and every standard test resolver. */
    static ResolverRegistry registry() {
        return registryWithout(Set.of());
    }

    /** Like {@link #registry()} but without the resolvers whose {@code kind:id} is listed. */
    static ResolverRegistry registryWithout(Set<String> keys) {
        // Only missing_dev comes from the boot layer: the runtime's own serial backends are there
        // too and would clash with the parse-only test resolvers.
        ResolverRegistry.Builder b = ResolverRegistry.builder();
        if (!keys.contains("chipset_device:missing_dev")) {
            b.add(ResolverRegistry.builder().loadBootLayer().build().find("chipset_device", "missing_dev")
                    .orElseThrow().resolver());
        }
        for (ResourceResolver<?, ?> r : standard()) {
            if (!keys.contains(r.kind().name() + ":" + r.id())) {
                b.add(r);
            }
        }
        return b.build();
    }

    /** No resolvers at all. */
    static ResolverRegistry empty() {
        return ResolverRegistry.builder().build();
    }
}
