package io.jvmm.runtime.manifest;

import static io.jvmm.api.hv.MachineArch.AARCH64;
import static io.jvmm.api.hv.MachineArch.X86_64;
import static io.jvmm.runtime.manifest.BaseChipsetFlag.*;
import static io.jvmm.runtime.manifest.BaseChipsetType.HCL_HOST;
import static io.jvmm.runtime.manifest.BaseChipsetType.HYPERV_GEN1;
import static io.jvmm.runtime.manifest.BaseChipsetType.HYPERV_GEN2_LINUX_DIRECT;
import static io.jvmm.runtime.manifest.BaseChipsetType.HYPERV_GEN2_UEFI;
import static io.jvmm.runtime.manifest.BaseChipsetType.UNENLIGHTENED_LINUX_DIRECT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.battery.BatterySource;
import io.jvmm.api.battery.HostBatteryUpdate;
import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.handles.BatteryHandle;
import io.jvmm.api.handles.DebugconHandle;
import io.jvmm.api.handles.DisconnectedSerialHandle;
import io.jvmm.api.handles.FixedBatteryHandle;
import io.jvmm.api.handles.I8042Handle;
import io.jvmm.api.handles.MissingDevHandle;
import io.jvmm.api.handles.MissingDevHandle.Claim;
import io.jvmm.api.handles.MultiplexedKeyboardHandle;
import io.jvmm.api.handles.Pl011Handle;
import io.jvmm.api.handles.ResetControlHandle;
import io.jvmm.api.handles.Serial16550Handle;
import io.jvmm.api.handles.SerialBase;
import io.jvmm.api.hv.MachineArch;
import io.jvmm.api.resource.Resource;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.api.serial.SerialBackend;
import io.jvmm.runtime.manifest.ManifestBuildException.Reason;
import io.jvmm.runtime.manifest.TestResolvers.ConsoleHandle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The builder against the seed ({@code vm_manifest_builder/src/lib.rs}). Expected devices are
 * written out literally from the seed: names, handle records (ports, IRQs, bases, claims), order.
 */
class VmManifestBuilderTest {
    static final Resource<SerialBackend> A = ConsoleHandle.resource("a");
    static final Resource<SerialBackend> B = ConsoleHandle.resource("b");
    static final Resource<SerialBackend> C = ConsoleHandle.resource("c");
    static final Resource<SerialBackend> D = ConsoleHandle.resource("d");
    static final Resource<SerialBackend> DISC =
            Resource.of(ResourceKinds.SERIAL_BACKEND, "disconnected", new DisconnectedSerialHandle());
    static final Resource<BatterySource> BAT = Resource.of(ResourceKinds.BATTERY_SOURCE, "fixed",
            new FixedBatteryHandle(HostBatteryUpdate.defaultPresent()));

    // ---- the seed's devices, literally ----

    static ChipsetDeviceHandle dev(String name, String id, io.jvmm.api.resource.ResourceHandle handle) {
        return new ChipsetDeviceHandle(name, Resource.of(ResourceKinds.CHIPSET_DEVICE, id, handle));
    }

    static Claim pio(String name, long start, long end) {
        return new Claim(name, start, end);
    }

    static ChipsetDeviceHandle missing(String name, Claim... claims) {
        return dev(name, "missing_dev", new MissingDevHandle(List.of(claims), List.of()));
    }

    static final ChipsetDeviceHandle MISSING_SERIAL = missing("missing-serial",
            pio("com1", 0x3f8, 0x3ff), pio("com2", 0x2f8, 0x2ff), pio("com3", 0x3e8, 0x3ef), pio("com4", 0x2e8, 0x2ef));

    static final List<ChipsetDeviceHandle> ARCH_PORTS = List.of(
            missing("io-delay-0xed", pio("delay", 0xed, 0xed)),
            missing("missing-vmware-backdoor", pio("backdoor", 0x5658, 0x5659)),
            missing("missing-gameport", pio("gameport", 0x201, 0x201)));

    /** jvmm's addition on unenlightened-linux-direct x86: the 0xCF9 reset control register. */
    static final ChipsetDeviceHandle RESET_CONTROL = dev("reset-control", "reset_control", ResetControlHandle.INSTANCE);
    /** The seed's architectural ports of unenlightened-linux-direct x86, and jvmm's reset control after them. */
    static final List<ChipsetDeviceHandle> ULD_PORTS = devices(ARCH_PORTS, RESET_CONTROL);

    static final List<ChipsetDeviceHandle> PCAT_MISSING = List.of(
            missing("missing-pic", pio("primary", 0x20, 0x21), pio("secondary", 0xa0, 0xa1)),
            missing("missing-pit", pio("main", 0x40, 0x43), pio("port61", 0x61, 0x61)),
            missing("missing-pci", pio("address", 0xcf8, 0xcfb), pio("data", 0xcfc, 0xcff)),
            missing("missing-dma", pio("io", 0x87, 0x87)));

    static final ChipsetDeviceHandle I8042 = dev("i8042", "i8042", new I8042Handle(
            Resource.of(ResourceKinds.KEYBOARD_INPUT, "keyboard", new MultiplexedKeyboardHandle(0))));

    static List<ChipsetDeviceHandle> com16550(boolean rts, Resource<SerialBackend> c1, Resource<SerialBackend> c2,
            Resource<SerialBackend> c3, Resource<SerialBackend> c4) {
        return List.of(
                dev("serial-com1", "serial_16550", new Serial16550Handle(new SerialBase.IoPort(0x3f8), 1, 4, c1, rts)),
                dev("serial-com2", "serial_16550", new Serial16550Handle(new SerialBase.IoPort(0x2f8), 1, 3, c2, rts)),
                dev("serial-com3", "serial_16550", new Serial16550Handle(new SerialBase.IoPort(0x3e8), 1, 4, c3, rts)),
                dev("serial-com4", "serial_16550", new Serial16550Handle(new SerialBase.IoPort(0x2e8), 1, 3, c4, rts)));
    }

    static final List<ChipsetDeviceHandle> COM_DISCONNECTED = com16550(false, DISC, DISC, DISC, DISC);
    static final List<ChipsetDeviceHandle> COM_AB = com16550(false, A, B, DISC, DISC);

    static List<ChipsetDeviceHandle> pl011(Resource<SerialBackend> c1, Resource<SerialBackend> c2) {
        return List.of(
                dev("com1", "serial_pl011", new Pl011Handle(0xEFFEC000L, 1, c1)),
                dev("com2", "serial_pl011", new Pl011Handle(0xEFFEB000L, 2, c2)));
    }

    static ChipsetDeviceHandle battery(MachineArch arch) {
        return dev("battery", arch == X86_64 ? "battery_x64" : "battery_aarch64", new BatteryHandle(arch, BAT));
    }

    static ChipsetDeviceHandle debugcon(String name, int port, Resource<SerialBackend> io) {
        return dev(name, "debugcon", new DebugconHandle(port, io));
    }

    static List<ChipsetDeviceHandle> devices(Object... parts) {
        List<ChipsetDeviceHandle> out = new ArrayList<>();
        for (Object p : parts) {
            if (p instanceof ChipsetDeviceHandle d) {
                out.add(d);
            } else {
                for (Object d : (List<?>) p) {
                    out.add((ChipsetDeviceHandle) d);
                }
            }
        }
        return out;
    }

    // ---- the seed's base-chipset flags ----

    static final BaseChipsetManifest GEN1_FLAGS = BaseChipsetManifest.of(GENERIC_IOAPIC, GENERIC_ISA_DMA,
            GENERIC_PIC, GENERIC_PIT, HYPERV_FIRMWARE_PCAT, HYPERV_FRAMEBUFFER, HYPERV_IDE, HYPERV_VGA,
            I440BX_HOST_PCI_BRIDGE, PIIX4_CMOS_RTC, PIIX4_PCI_BUS, PIIX4_PCI_ISA_BRIDGE, PIIX4_PCI_USB_UHCI_STUB,
            PIIX4_POWER_MANAGEMENT, WINBOND_SUPER_IO_AND_FLOPPY_FULL);
    static final BaseChipsetManifest ULD_X86_FLAGS = BaseChipsetManifest.of(GENERIC_CMOS_RTC, GENERIC_IOAPIC,
            GENERIC_PCI_BUS, GENERIC_PIC, GENERIC_PIT, HYPERV_POWER_MANAGEMENT);
    static final BaseChipsetManifest GEN2_UEFI_X86_FLAGS = BaseChipsetManifest.of(GENERIC_CMOS_RTC, GENERIC_IOAPIC,
            HYPERV_FIRMWARE_UEFI, HYPERV_POWER_MANAGEMENT);
    static final BaseChipsetManifest GEN2_UEFI_ARM_FLAGS = BaseChipsetManifest.of(HYPERV_FIRMWARE_UEFI);
    static final BaseChipsetManifest GEN2_LD_X86_FLAGS = BaseChipsetManifest.of(GENERIC_CMOS_RTC, GENERIC_IOAPIC,
            HYPERV_POWER_MANAGEMENT);
    static final BaseChipsetManifest NO_FLAGS = BaseChipsetManifest.empty();

    /** The nine supported (type, arch) pairs with the seed's defaults: devices and flags. */
    static Stream<Arguments> defaults() {
        return Stream.of(
                Arguments.of(HYPERV_GEN1, X86_64, devices(I8042, COM_DISCONNECTED, ARCH_PORTS), GEN1_FLAGS),
                Arguments.of(UNENLIGHTENED_LINUX_DIRECT, X86_64, devices(MISSING_SERIAL, ULD_PORTS), ULD_X86_FLAGS),
                Arguments.of(UNENLIGHTENED_LINUX_DIRECT, AARCH64, devices(), NO_FLAGS),
                Arguments.of(HYPERV_GEN2_UEFI, X86_64, devices(MISSING_SERIAL, ARCH_PORTS, PCAT_MISSING),
                        GEN2_UEFI_X86_FLAGS),
                Arguments.of(HYPERV_GEN2_UEFI, AARCH64, devices(), GEN2_UEFI_ARM_FLAGS),
                Arguments.of(HYPERV_GEN2_LINUX_DIRECT, X86_64, devices(MISSING_SERIAL, ARCH_PORTS, PCAT_MISSING),
                        GEN2_LD_X86_FLAGS),
                Arguments.of(HYPERV_GEN2_LINUX_DIRECT, AARCH64, devices(), NO_FLAGS),
                Arguments.of(HCL_HOST, X86_64, devices(), NO_FLAGS),
                Arguments.of(HCL_HOST, AARCH64, devices(), NO_FLAGS));
    }

    static VmManifest build(BaseChipsetType type, MachineArch arch, UnaryOperator<VmManifestBuilder> options)
            throws ManifestBuildException {
        return options.apply(new VmManifestBuilder(type, arch)).build();
    }

    static void assertDevices(List<ChipsetDeviceHandle> expected, VmManifest actual) {
        // Names first: a readable diff when the order or set is wrong.
        assertEquals(expected.stream().map(ChipsetDeviceHandle::name).toList(),
                actual.devices().stream().map(ChipsetDeviceHandle::name).toList(), "device names in order");
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(expected.get(i), actual.devices().get(i), "device " + expected.get(i).name());
        }
    }

    static void assertFails(Reason reason, UnaryOperator<VmManifestBuilder> options, BaseChipsetType type,
            MachineArch arch) {
        ManifestBuildException e = assertThrows(ManifestBuildException.class, () -> build(type, arch, options));
        assertEquals(reason, e.reason());
        assertEquals(reason.message(), e.getMessage());
    }

    // ---- defaults ----

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("defaults")
    void defaultsMatchSeed(BaseChipsetType type, MachineArch arch, List<ChipsetDeviceHandle> devices,
            BaseChipsetManifest flags) throws Exception {
        VmManifest m = build(type, arch, b -> b);
        assertEquals(type, m.type());
        assertEquals(arch, m.arch());
        assertDevices(devices, m);
        assertEquals(flags, m.chipset());
    }

    @Test
    void gen1OnAarch64IsUnsupportedWhateverTheOptions() {
        assertFails(Reason.UNSUPPORTED_ARCH, b -> b, HYPERV_GEN1, AARCH64);
        assertFails(Reason.UNSUPPORTED_ARCH, b -> b.withSerial(Arrays.asList(A, B, C, D)).withBattery(BAT),
                HYPERV_GEN1, AARCH64);
        assertFails(Reason.UNSUPPORTED_ARCH, b -> b.withSerialWaitForRts().withProxyVga().withStubFloppy(),
                HYPERV_GEN1, AARCH64);
    }

    @Test
    void errorMessagesAreTheSeeds() {
        assertEquals("unsupported architecture", Reason.UNSUPPORTED_ARCH.message());
        assertEquals("unsupported serial port count", Reason.UNSUPPORTED_SERIAL_COUNT.message());
        assertEquals("unsupported debugcon architecture", Reason.UNSUPPORTED_DEBUGCON_ARCH.message());
        assertEquals("wait for RTS not supported with this serial type", Reason.WAIT_FOR_RTS_NOT_SUPPORTED.message());
    }

    // ---- serial ----

    static Stream<Arguments> serialAB() {
        return Stream.of(
                Arguments.of(HYPERV_GEN1, X86_64, devices(I8042, COM_AB, ARCH_PORTS)),
                Arguments.of(UNENLIGHTENED_LINUX_DIRECT, X86_64, devices(COM_AB, ULD_PORTS)),
                Arguments.of(UNENLIGHTENED_LINUX_DIRECT, AARCH64, pl011(A, B)),
                Arguments.of(HYPERV_GEN2_UEFI, X86_64, devices(COM_AB, ARCH_PORTS, PCAT_MISSING)),
                Arguments.of(HYPERV_GEN2_UEFI, AARCH64, pl011(A, B)),
                Arguments.of(HYPERV_GEN2_LINUX_DIRECT, X86_64, devices(COM_AB, ARCH_PORTS, PCAT_MISSING)),
                Arguments.of(HYPERV_GEN2_LINUX_DIRECT, AARCH64, pl011(A, B)),
                Arguments.of(HCL_HOST, X86_64, COM_AB),
                Arguments.of(HCL_HOST, AARCH64, pl011(A, B)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("serialAB")
    void serialPortsReplaceMissingSerialAndKeepFlags(BaseChipsetType type, MachineArch arch,
            List<ChipsetDeviceHandle> expected) throws Exception {
        VmManifest m = build(type, arch, b -> b.withSerial(Arrays.asList(A, B, null, null)));
        assertDevices(expected, m);
        assertEquals(build(type, arch, b -> b).chipset(), m.chipset());
    }

    @ParameterizedTest
    @EnumSource(BaseChipsetType.class)
    void fourSerialPortsOnX86(BaseChipsetType type) throws Exception {
        VmManifest m = build(type, X86_64, b -> b.withSerial(Arrays.asList(A, B, C, D)));
        List<ChipsetDeviceHandle> serial = m.devices().stream()
                .filter(d -> d.resource().id().equals("serial_16550")).toList();
        assertEquals(com16550(false, A, B, C, D), serial);
        assertTrue(m.devices().stream().noneMatch(d -> d.name().equals("missing-serial")));
    }

    @ParameterizedTest
    @EnumSource(value = BaseChipsetType.class, names = "HYPERV_GEN1", mode = EnumSource.Mode.EXCLUDE)
    void allNullBackendsOnAarch64AreTwoDisconnectedPl011s(BaseChipsetType type) throws Exception {
        VmManifest m = build(type, AARCH64, b -> b.withSerial(Arrays.asList(null, null, null, null)));
        assertDevices(pl011(DISC, DISC), m);
    }

    @ParameterizedTest
    @EnumSource(value = BaseChipsetType.class, names = "HYPERV_GEN1", mode = EnumSource.Mode.EXCLUDE)
    void aarch64HasOnlyTwoSerialPorts(BaseChipsetType type) {
        assertFails(Reason.UNSUPPORTED_SERIAL_COUNT, b -> b.withSerial(Arrays.asList(A, B, C, null)), type, AARCH64);
        assertFails(Reason.UNSUPPORTED_SERIAL_COUNT, b -> b.withSerial(Arrays.asList(null, null, null, D)), type,
                AARCH64);
    }

    @Test
    void withSerialNeedsExactlyFourEntries() {
        VmManifestBuilder b = new VmManifestBuilder(HCL_HOST, X86_64);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> b.withSerial(Arrays.asList(A, B, null)));
        assertTrue(e.getMessage().contains("exactly four"), e.getMessage());
        assertThrows(NullPointerException.class, () -> b.withSerial(null));
    }

    @Test
    void withSerialCopiesItsArgument() throws Exception {
        List<Resource<SerialBackend>> backends = new ArrayList<>(Arrays.asList(A, null, null, null));
        VmManifestBuilder b = new VmManifestBuilder(HCL_HOST, X86_64).withSerial(backends);
        backends.set(0, B);
        assertEquals(com16550(false, A, DISC, DISC, DISC), b.build().devices());
    }

    // ---- wait for RTS ----

    @ParameterizedTest
    @EnumSource(BaseChipsetType.class)
    void waitForRtsSetsEvery16550OnX86(BaseChipsetType type) throws Exception {
        VmManifest m = build(type, X86_64, b -> b.withSerial(Arrays.asList(A, B, null, null)).withSerialWaitForRts());
        List<ChipsetDeviceHandle> serial = m.devices().stream()
                .filter(d -> d.resource().id().equals("serial_16550")).toList();
        assertEquals(com16550(true, A, B, DISC, DISC), serial);
        // Only the UARTs change.
        List<ChipsetDeviceHandle> others = new ArrayList<>(m.devices());
        others.removeAll(serial);
        List<ChipsetDeviceHandle> othersWithout = new ArrayList<>(
                build(type, X86_64, b -> b.withSerial(Arrays.asList(A, B, null, null))).devices());
        othersWithout.removeAll(com16550(false, A, B, DISC, DISC));
        assertEquals(othersWithout, others);
    }

    @Test
    void gen1AlwaysHasItsComPortsSoWaitForRtsAppliesWithoutSerial() throws Exception {
        VmManifest m = build(HYPERV_GEN1, X86_64, VmManifestBuilder::withSerialWaitForRts);
        assertDevices(devices(I8042, com16550(true, DISC, DISC, DISC, DISC), ARCH_PORTS), m);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("defaults")
    void waitForRtsWithoutSerialChangesNothingElse(BaseChipsetType type, MachineArch arch,
            List<ChipsetDeviceHandle> devices, BaseChipsetManifest flags) throws Exception {
        if (type == HYPERV_GEN1) {
            return; // covered above: its ports always exist
        }
        VmManifest m = build(type, arch, VmManifestBuilder::withSerialWaitForRts);
        assertDevices(devices, m);
        assertEquals(flags, m.chipset());
    }

    @ParameterizedTest
    @EnumSource(value = BaseChipsetType.class, names = "HYPERV_GEN1", mode = EnumSource.Mode.EXCLUDE)
    void waitForRtsIsNotSupportedByPl011(BaseChipsetType type) {
        assertFails(Reason.WAIT_FOR_RTS_NOT_SUPPORTED,
                b -> b.withSerial(Arrays.asList(A, null, null, null)).withSerialWaitForRts(), type, AARCH64);
        // The seed checks RTS before the port count.
        assertFails(Reason.WAIT_FOR_RTS_NOT_SUPPORTED,
                b -> b.withSerial(Arrays.asList(A, B, C, D)).withSerialWaitForRts(), type, AARCH64);
    }

    // ---- debugcon ----

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("defaults")
    void debugconComesFirstOnX86(BaseChipsetType type, MachineArch arch, List<ChipsetDeviceHandle> devices,
            BaseChipsetManifest flags) throws Exception {
        if (arch != X86_64) {
            return;
        }
        VmManifest m = build(type, arch, b -> b.withDebugcon(A, 0xe9));
        assertDevices(devices(debugcon("debugcon-0xe9", 0xe9, A), devices), m);
        assertEquals(flags, m.chipset());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 0x9, 0xe9, 0x402, 0xffff})
    void debugconNameIsRustAlternateHex(int port) throws Exception {
        VmManifest m = build(HCL_HOST, X86_64, b -> b.withDebugcon(B, port));
        String expectedName = switch (port) {
            case 0 -> "debugcon-0x0";
            case 0x9 -> "debugcon-0x9";
            case 0xe9 -> "debugcon-0xe9";
            case 0x402 -> "debugcon-0x402";
            default -> "debugcon-0xffff";
        };
        assertDevices(List.of(debugcon(expectedName, port, B)), m);
    }

    @ParameterizedTest
    @EnumSource(BaseChipsetType.class)
    void debugconIsX86Only(BaseChipsetType type) {
        // Checked before anything else, so even Gen1-on-aarch64 reports the debugcon problem.
        assertFails(Reason.UNSUPPORTED_DEBUGCON_ARCH, b -> b.withDebugcon(A, 0xe9), type, AARCH64);
        assertFails(Reason.UNSUPPORTED_DEBUGCON_ARCH,
                b -> b.withDebugcon(A, 0xe9).withSerial(Arrays.asList(A, B, C, D)).withSerialWaitForRts(), type,
                AARCH64);
    }

    @Test
    void debugconPortMustBeU16() {
        VmManifestBuilder b = new VmManifestBuilder(HCL_HOST, X86_64);
        assertThrows(IllegalArgumentException.class, () -> b.withDebugcon(A, 0x10000));
        assertThrows(IllegalArgumentException.class, () -> b.withDebugcon(A, -1));
        assertThrows(NullPointerException.class, () -> b.withDebugcon(null, 0xe9));
    }

    // ---- Gen1-only options ----

    @Test
    void proxyVgaSwapsVgaAndFramebufferForTheProxy() throws Exception {
        VmManifest m = build(HYPERV_GEN1, X86_64, VmManifestBuilder::withProxyVga);
        assertEquals(GEN1_FLAGS.with(HYPERV_FRAMEBUFFER, false).with(HYPERV_VGA, false)
                .with(UNDERHILL_VGA_PROXY, true), m.chipset());
        assertDevices(devices(I8042, COM_DISCONNECTED, ARCH_PORTS), m);
    }

    @Test
    void stubFloppySwapsTheFloppy() throws Exception {
        VmManifest m = build(HYPERV_GEN1, X86_64, VmManifestBuilder::withStubFloppy);
        assertEquals(GEN1_FLAGS.with(WINBOND_SUPER_IO_AND_FLOPPY_FULL, false)
                .with(WINBOND_SUPER_IO_AND_FLOPPY_STUB, true), m.chipset());
        assertDevices(devices(I8042, COM_DISCONNECTED, ARCH_PORTS), m);
    }

    @ParameterizedTest
    @EnumSource(value = BaseChipsetType.class, names = "HYPERV_GEN1", mode = EnumSource.Mode.EXCLUDE)
    void gen1OnlyOptionsRejectOtherTypes(BaseChipsetType type) {
        for (MachineArch arch : MachineArch.values()) {
            VmManifestBuilder b = new VmManifestBuilder(type, arch);
            IllegalStateException vga = assertThrows(IllegalStateException.class, b::withProxyVga);
            assertEquals("withProxyVga() is only supported for chipset type hyperv-gen1, not " + type.label(),
                    vga.getMessage());
            IllegalStateException floppy = assertThrows(IllegalStateException.class, b::withStubFloppy);
            assertEquals("withStubFloppy() is only supported for chipset type hyperv-gen1, not " + type.label(),
                    floppy.getMessage());
        }
    }

    // ---- battery ----

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("defaults")
    void batteryComesLast(BaseChipsetType type, MachineArch arch, List<ChipsetDeviceHandle> devices,
            BaseChipsetManifest flags) throws Exception {
        VmManifest m = build(type, arch, b -> b.withBattery(BAT));
        assertDevices(devices(devices, battery(arch)), m);
        assertEquals(flags, m.chipset());
    }

    // ---- flag-only options ----

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("defaults")
    void framebufferWatchdogAndPspAreFlags(BaseChipsetType type, MachineArch arch,
            List<ChipsetDeviceHandle> devices, BaseChipsetManifest flags) throws Exception {
        // Gen1 always has the framebuffer and never a watchdog or PSP; HCL hosts only take the framebuffer.
        boolean gen2OrLinux = type != HYPERV_GEN1 && type != HCL_HOST;

        VmManifest fb = build(type, arch, VmManifestBuilder::withFramebuffer);
        assertEquals(flags.with(HYPERV_FRAMEBUFFER, type != HYPERV_GEN1 || flags.has(HYPERV_FRAMEBUFFER)),
                fb.chipset());
        assertDevices(devices, fb);

        VmManifest wd = build(type, arch, VmManifestBuilder::withGuestWatchdog);
        assertEquals(gen2OrLinux ? flags.with(HYPERV_GUEST_WATCHDOG, true) : flags, wd.chipset());
        assertDevices(devices, wd);

        VmManifest psp = build(type, arch, VmManifestBuilder::withPsp);
        assertEquals(gen2OrLinux ? flags.with(GENERIC_PSP, true) : flags, psp.chipset());
        assertDevices(devices, psp);
    }

    // ---- everything at once: the order of the seed's code ----

    static UnaryOperator<VmManifestBuilder> everythingX86(BaseChipsetType type) {
        return b -> {
            b.withDebugcon(D, 0xe9).withSerial(Arrays.asList(A, B, C, null)).withSerialWaitForRts()
                    .withBattery(BAT).withFramebuffer().withGuestWatchdog().withPsp();
            if (type == HYPERV_GEN1) {
                b.withProxyVga().withStubFloppy();
            }
            return b;
        };
    }

    static Stream<Arguments> everythingX86Expected() {
        ChipsetDeviceHandle dc = debugcon("debugcon-0xe9", 0xe9, D);
        List<ChipsetDeviceHandle> com = com16550(true, A, B, C, DISC);
        ChipsetDeviceHandle bat = battery(X86_64);
        return Stream.of(
                Arguments.of(HYPERV_GEN1, devices(dc, I8042, com, ARCH_PORTS, bat),
                        GEN1_FLAGS.with(HYPERV_FRAMEBUFFER, false).with(HYPERV_VGA, false)
                                .with(UNDERHILL_VGA_PROXY, true).with(WINBOND_SUPER_IO_AND_FLOPPY_FULL, false)
                                .with(WINBOND_SUPER_IO_AND_FLOPPY_STUB, true)),
                Arguments.of(UNENLIGHTENED_LINUX_DIRECT, devices(dc, com, ULD_PORTS, bat),
                        ULD_X86_FLAGS.with(GENERIC_PSP, true).with(HYPERV_FRAMEBUFFER, true)
                                .with(HYPERV_GUEST_WATCHDOG, true)),
                Arguments.of(HYPERV_GEN2_UEFI, devices(dc, com, ARCH_PORTS, PCAT_MISSING, bat),
                        GEN2_UEFI_X86_FLAGS.with(GENERIC_PSP, true).with(HYPERV_FRAMEBUFFER, true)
                                .with(HYPERV_GUEST_WATCHDOG, true)),
                Arguments.of(HYPERV_GEN2_LINUX_DIRECT, devices(dc, com, ARCH_PORTS, PCAT_MISSING, bat),
                        GEN2_LD_X86_FLAGS.with(GENERIC_PSP, true).with(HYPERV_FRAMEBUFFER, true)
                                .with(HYPERV_GUEST_WATCHDOG, true)),
                Arguments.of(HCL_HOST, devices(dc, com, bat), BaseChipsetManifest.of(HYPERV_FRAMEBUFFER)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("everythingX86Expected")
    void everythingOnX86(BaseChipsetType type, List<ChipsetDeviceHandle> devices, BaseChipsetManifest flags)
            throws Exception {
        VmManifest m = build(type, X86_64, everythingX86(type));
        assertDevices(devices, m);
        assertEquals(flags, m.chipset());
    }

    static Stream<Arguments> everythingAarch64Expected() {
        List<ChipsetDeviceHandle> com = pl011(A, DISC);
        ChipsetDeviceHandle bat = battery(AARCH64);
        BaseChipsetManifest extras = BaseChipsetManifest.of(GENERIC_PSP, HYPERV_FRAMEBUFFER, HYPERV_GUEST_WATCHDOG);
        return Stream.of(
                Arguments.of(UNENLIGHTENED_LINUX_DIRECT, devices(com, bat), extras),
                Arguments.of(HYPERV_GEN2_UEFI, devices(com, bat), extras.with(HYPERV_FIRMWARE_UEFI, true)),
                Arguments.of(HYPERV_GEN2_LINUX_DIRECT, devices(com, bat), extras),
                Arguments.of(HCL_HOST, devices(com, bat), BaseChipsetManifest.of(HYPERV_FRAMEBUFFER)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("everythingAarch64Expected")
    void everythingSupportedOnAarch64(BaseChipsetType type, List<ChipsetDeviceHandle> devices,
            BaseChipsetManifest flags) throws Exception {
        VmManifest m = build(type, AARCH64, b -> b.withSerial(Arrays.asList(A, null, null, null)).withBattery(BAT)
                .withFramebuffer().withGuestWatchdog().withPsp());
        assertDevices(devices, m);
        assertEquals(flags, m.chipset());
    }

    // ---- handles use the standard records ----

    @Test
    void handlesAreTheStandardRecordsWithTheirIds() throws Exception {
        VmManifest m = build(HYPERV_GEN2_UEFI, X86_64, everythingX86(HYPERV_GEN2_UEFI));
        for (ChipsetDeviceHandle d : m.devices()) {
            Resource<ChipsetDevice> r = d.resource();
            assertEquals(ResourceKinds.CHIPSET_DEVICE, r.kind(), d.name());
            String expectedId = switch (r.handle().getClass().getSimpleName()) {
                case "DebugconHandle" -> DebugconHandle.ID;
                case "Serial16550Handle" -> Serial16550Handle.ID;
                case "MissingDevHandle" -> MissingDevHandle.ID;
                case "BatteryHandle" -> BatteryHandle.ID_X64;
                default -> "unexpected handle " + r.handle();
            };
            assertEquals(expectedId, r.id(), d.name());
        }
        // Every missing-dev device claims only ports.
        m.devices().stream().filter(d -> d.resource().handle() instanceof MissingDevHandle)
                .forEach(d -> assertTrue(((MissingDevHandle) d.resource().handle()).mmio().isEmpty()));
    }

    @Test
    void buildDoesNotChangeTheBuilder() throws Exception {
        VmManifestBuilder b = everythingX86(UNENLIGHTENED_LINUX_DIRECT)
                .apply(new VmManifestBuilder(UNENLIGHTENED_LINUX_DIRECT, X86_64));
        assertEquals(b.build(), b.build());
    }

    @Test
    void virtioDisksFollowTheEntropyDeviceOneSlotEach() throws Exception {
        var first = new io.jvmm.api.handles.VirtioBlkHandle("/images/a.img", true, 6, "a");
        var second = new io.jvmm.api.handles.VirtioBlkHandle("/images/b.img", false, 7, "b");
        VmManifestBuilder b = new VmManifestBuilder(UNENLIGHTENED_LINUX_DIRECT, X86_64).withVirtioRng(4)
                .withVirtioBlk(first).withVirtioBlk(second);
        List<ChipsetDeviceHandle> devices = b.build().devices();
        int n = devices.size();
        assertEquals(List.of(new ChipsetDeviceHandle("virtio-rng", new io.jvmm.api.handles.VirtioRngHandle(4).toResource()),
                new ChipsetDeviceHandle("virtio-blk-6", first.toResource()),
                new ChipsetDeviceHandle("virtio-blk-7", second.toResource())), devices.subList(n - 3, n));
        var taken = assertThrows(IllegalArgumentException.class, () -> b.withVirtioBlk(
                new io.jvmm.api.handles.VirtioBlkHandle("/images/c.img", false, 7, "")));
        assertEquals("virtio-blk-7: PCI slot 7 is taken by virtio-blk-7", taken.getMessage());
        var rngs = assertThrows(IllegalArgumentException.class, () -> b.withVirtioBlk(
                new io.jvmm.api.handles.VirtioBlkHandle("/images/c.img", false, 4, "")));
        assertEquals("virtio-blk-4: PCI slot 4 is taken by virtio-rng", rngs.getMessage());
        var console = assertThrows(IllegalArgumentException.class, () -> b.withVirtioConsole(6,
                io.jvmm.api.handles.DisconnectedSerialHandle.resource()));
        assertEquals("virtio-console: PCI slot 6 is taken by virtio-blk-6", console.getMessage());
        assertEquals(n, b.build().devices().size(), "a refused device is not added");
    }
}
