package io.jvmm.runtime.manifest;

import static io.jvmm.runtime.manifest.BaseChipsetFlag.*;

import io.jvmm.api.battery.BatterySource;
import io.jvmm.api.handles.BatteryHandle;
import io.jvmm.api.handles.DebugconHandle;
import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.PciPlatform;
import io.jvmm.api.handles.VirtioConsoleHandle;
import io.jvmm.api.handles.VirtioBlkHandle;
import io.jvmm.api.handles.VirtioVsockHandle;
import io.jvmm.api.handles.VirtioRngHandle;
import io.jvmm.api.handles.DisconnectedSerialHandle;
import io.jvmm.api.handles.I8042Handle;
import io.jvmm.api.handles.MissingDevHandle;
import io.jvmm.api.handles.MultiplexedKeyboardHandle;
import io.jvmm.api.handles.Pl011Handle;
import io.jvmm.api.handles.ResetControlHandle;
import io.jvmm.api.handles.Serial16550Handle;
import io.jvmm.api.hv.MachineArch;
import io.jvmm.api.resource.Resource;
import io.jvmm.api.serial.SerialBackend;
import io.jvmm.runtime.manifest.ManifestBuildException.Reason;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Builds the chipset part of a VM manifest for one chipset type and architecture: a port of
 * OpenVMM's {@code vm_manifest_builder}. Device names, claims, order and base-chipset flags are the
 * seed's, so that manifests (and saved states keyed by device name) stay comparable; the one
 * addition is {@code reset-control} (port 0xCF9) on {@code unenlightened-linux-direct} x86, after the
 * seed's devices and before the battery.
 *
 * <p>A mutable, single-use fluent builder; {@link #build()} does not change it.
 */
public final class VmManifestBuilder {
    /** The name of the 0xCF9 reset control device on {@code unenlightened-linux-direct} x86. */
    public static final String RESET_CONTROL_NAME = "reset-control";
    private static final List<String> SERIAL_16550_NAMES =
            List.of("serial-com1", "serial-com2", "serial-com3", "serial-com4");

    private final BaseChipsetType type;
    private final MachineArch arch;
    /** Null until {@link #withSerial}; then four entries, each null for "disconnected". */
    private List<Resource<SerialBackend>> serial;
    private boolean serialWaitForRts;
    private boolean proxyVga;
    private boolean stubFloppy;
    private Resource<BatterySource> battery;
    private boolean framebuffer;
    private boolean guestWatchdog;
    private boolean psp;
    private Resource<SerialBackend> debugconBackend;
    private int debugconPort;
    /** The PCI functions on bus 0 by slot, in the order they were added: one owner per slot. */
    private final Map<Integer, ChipsetDeviceHandle> pciSlots = new LinkedHashMap<>();

    public VmManifestBuilder(BaseChipsetType type, MachineArch arch) {
        this.type = Objects.requireNonNull(type, "type");
        this.arch = Objects.requireNonNull(arch, "arch");
    }

    /**
     * Enables serial ports (16550 on x86_64, PL011 on aarch64) backed by these four backends; a
     * null entry is a disconnected port. Hyper-V generation 1 always has its four COM ports, and
     * they are disconnected unless this is called. aarch64 supports only the first two.
     */
    public VmManifestBuilder withSerial(List<Resource<SerialBackend>> backends) {
        Objects.requireNonNull(backends, "backends");
        if (backends.size() != 4) {
            throw new IllegalArgumentException(
                    "withSerial takes exactly four backends (COM1..COM4, null for none), got " + backends.size());
        }
        // ArrayList rather than List.copyOf: null entries are meaningful here.
        this.serial = Collections.unmodifiableList(new ArrayList<>(backends));
        return this;
    }

    /** The VMM pushes input into a UART's FIFO only while the guest raises RTS. */
    public VmManifestBuilder withSerialWaitForRts() {
        this.serialWaitForRts = true;
        return this;
    }

    /** The output-only debug console at {@code port} (x86_64 only; checked by {@link #build()}). */
    public VmManifestBuilder withDebugcon(Resource<SerialBackend> backend, int port) {
        Objects.requireNonNull(backend, "backend");
        if (port < 0 || port > 0xFFFF) {
            throw new IllegalArgumentException("debugcon port must be 0..0xffff, was " + port);
        }
        this.debugconBackend = backend;
        this.debugconPort = port;
        return this;
    }

    /** The Underhill VGA proxy instead of the Hyper-V VGA and framebuffer (Hyper-V generation 1 only). */
    public VmManifestBuilder withProxyVga() {
        requireGen1("withProxyVga()");
        this.proxyVga = true;
        return this;
    }

    /** A virtio entropy device (virtio_rng) at PCI 00:{@code slot}.0. */
    public VmManifestBuilder withVirtioRng(int slot) {
        return withPciFunction(slot, "virtio-rng", new VirtioRngHandle(slot).toResource());
    }

    /** A virtio console (virtio_console, Linux's hvc0) at PCI 00:{@code slot}.0 on {@code backend}. */
    public VmManifestBuilder withVirtioConsole(int slot, Resource<SerialBackend> backend) {
        return withPciFunction(slot, "virtio-console",
                new VirtioConsoleHandle(slot, Objects.requireNonNull(backend, "backend")).toResource());
    }

    /**
     * A virtio block device (virtio_blk) on a raw image, at PCI 00:{@code disk.pciDevice()}.0;
     * repeatable, one slot per disk. Linux names them vda, vdb, ... in slot order.
     */
    public VmManifestBuilder withVirtioBlk(VirtioBlkHandle disk) {
        Objects.requireNonNull(disk, "disk");
        return withPciFunction(disk.pciDevice(), "virtio-blk-" + disk.pciDevice(), disk.toResource());
    }

    /**
     * A virtio socket device (virtio_vsock) with Unix sockets for its host side, at PCI
     * 00:{@code vsock.pciDevice()}.0.
     */
    public VmManifestBuilder withVirtioVsock(VirtioVsockHandle vsock) {
        Objects.requireNonNull(vsock, "vsock");
        return withPciFunction(vsock.pciDevice(), "virtio-vsock", vsock.toResource());
    }

    /**
     * Any PCI function (a plugin's too) at 00:{@code slot}.0 under the device name {@code name}.
     * A PCI device: the board refuses it (naming with_generic_pci_bus) where the chipset has no PCI
     * bus.
     *
     * @throws IllegalArgumentException when the slot or the name is taken, naming the holder
     */
    public VmManifestBuilder withPciFunction(int slot, String name, Resource<ChipsetDevice> device) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(device, "device");
        if (slot < 1 || slot >= PciPlatform.SLOTS) {
            throw new IllegalArgumentException(name + ": PCI slot must be 1..31 (0 is the host bridge), was " + slot);
        }
        ChipsetDeviceHandle holder = pciSlots.get(slot);
        if (holder != null) {
            throw new IllegalArgumentException(name + ": PCI slot " + slot + " is taken by " + holder.name());
        }
        for (ChipsetDeviceHandle d : pciSlots.values()) {
            if (d.name().equals(name)) {
                throw new IllegalArgumentException("a PCI device named " + name + " is already added");
            }
        }
        pciSlots.put(slot, new ChipsetDeviceHandle(name, device));
        return this;
    }

    /** The battery device, fed by {@code source}. */
    public VmManifestBuilder withBattery(Resource<BatterySource> source) {
        this.battery = Objects.requireNonNull(source, "source");
        return this;
    }

    /** The stub floppy instead of the full one, for old saved states (Hyper-V generation 1 only). */
    public VmManifestBuilder withStubFloppy() {
        requireGen1("withStubFloppy()");
        this.stubFloppy = true;
        return this;
    }

    /** The framebuffer device (implicit for Hyper-V generation 1). */
    public VmManifestBuilder withFramebuffer() {
        this.framebuffer = true;
        return this;
    }

    /** The guest watchdog device. */
    public VmManifestBuilder withGuestWatchdog() {
        this.guestWatchdog = true;
        return this;
    }

    /** The AMD64 PSP device. */
    public VmManifestBuilder withPsp() {
        this.psp = true;
        return this;
    }

    // The seed asserts here; a builder misuse is a programming error, so it is an unchecked exception.
    private void requireGen1(String what) {
        if (type != BaseChipsetType.HYPERV_GEN1) {
            throw new IllegalStateException(what + " is only supported for chipset type "
                    + BaseChipsetType.HYPERV_GEN1.label() + ", not " + type.label());
        }
    }

    /** Builds the manifest; the checks and their order are the seed's. */
    public VmManifest build() throws ManifestBuildException {
        List<ChipsetDeviceHandle> devices = new ArrayList<>();
        BaseChipsetManifest chipset = BaseChipsetManifest.empty();

        if (debugconBackend != null) {
            if (arch != MachineArch.X86_64) {
                throw new ManifestBuildException(Reason.UNSUPPORTED_DEBUGCON_ARCH);
            }
            attachDebugcon(devices);
        }

        boolean isX86 = arch == MachineArch.X86_64;
        switch (type) {
            case HYPERV_GEN1 -> {
                if (!isX86) {
                    throw new ManifestBuildException(Reason.UNSUPPORTED_ARCH);
                }
                attachI8042(devices);
                // This chipset always has its serial ports, even if none were requested.
                attachSerial16550(devices, serial != null ? serial : Collections.nCopies(4, null));
                chipset = new Flags()
                        .set(GENERIC_CMOS_RTC, false)
                        .set(GENERIC_IOAPIC, true)
                        .set(GENERIC_ISA_DMA, true)
                        .set(GENERIC_ISA_FLOPPY, false)
                        .set(GENERIC_PCI_BUS, false)
                        .set(GENERIC_PIC, true)
                        .set(GENERIC_PIT, true)
                        .set(GENERIC_PSP, false)
                        .set(HYPERV_FIRMWARE_PCAT, true)
                        .set(HYPERV_FIRMWARE_UEFI, false)
                        .set(HYPERV_FRAMEBUFFER, !proxyVga)
                        .set(HYPERV_GUEST_WATCHDOG, false)
                        .set(HYPERV_IDE, true)
                        .set(HYPERV_POWER_MANAGEMENT, false)
                        .set(HYPERV_VGA, !proxyVga)
                        .set(I440BX_HOST_PCI_BRIDGE, true)
                        .set(PIIX4_CMOS_RTC, true)
                        .set(PIIX4_PCI_BUS, true)
                        .set(PIIX4_PCI_ISA_BRIDGE, true)
                        .set(PIIX4_PCI_USB_UHCI_STUB, true)
                        .set(PIIX4_POWER_MANAGEMENT, true)
                        .set(UNDERHILL_VGA_PROXY, proxyVga)
                        .set(WINBOND_SUPER_IO_AND_FLOPPY_STUB, stubFloppy)
                        .set(WINBOND_SUPER_IO_AND_FLOPPY_FULL, !stubFloppy)
                        .build();
                attachMissingArchPorts(devices, false);
                attachBatteryIfRequested(devices);
            }
            case UNENLIGHTENED_LINUX_DIRECT -> {
                chipset = new Flags()
                        .set(GENERIC_CMOS_RTC, isX86)
                        .set(GENERIC_IOAPIC, isX86)
                        .set(GENERIC_ISA_DMA, false)
                        .set(GENERIC_ISA_FLOPPY, false)
                        .set(GENERIC_PCI_BUS, isX86)
                        .set(GENERIC_PIC, isX86)
                        .set(GENERIC_PIT, isX86)
                        .set(GENERIC_PSP, psp)
                        .set(HYPERV_FIRMWARE_PCAT, false)
                        .set(HYPERV_FIRMWARE_UEFI, false)
                        .set(HYPERV_FRAMEBUFFER, framebuffer)
                        .set(HYPERV_GUEST_WATCHDOG, guestWatchdog)
                        .set(HYPERV_IDE, false)
                        .set(HYPERV_POWER_MANAGEMENT, isX86)
                        .set(HYPERV_VGA, false)
                        .set(I440BX_HOST_PCI_BRIDGE, false)
                        .set(PIIX4_CMOS_RTC, false)
                        .set(PIIX4_PCI_BUS, false)
                        .set(PIIX4_PCI_ISA_BRIDGE, false)
                        .set(PIIX4_PCI_USB_UHCI_STUB, false)
                        .set(PIIX4_POWER_MANAGEMENT, false)
                        .set(UNDERHILL_VGA_PROXY, false)
                        .set(WINBOND_SUPER_IO_AND_FLOPPY_STUB, false)
                        .set(WINBOND_SUPER_IO_AND_FLOPPY_FULL, false)
                        .build();
                maybeAttachArchSerial(devices, true);
                attachMissingArchPorts(devices, false);
                if (isX86) {
                    attachResetControl(devices);
                }
                attachBatteryIfRequested(devices);
            }
            case HYPERV_GEN2_UEFI, HYPERV_GEN2_LINUX_DIRECT -> {
                chipset = new Flags()
                        .set(GENERIC_CMOS_RTC, isX86)
                        .set(GENERIC_IOAPIC, isX86)
                        .set(GENERIC_ISA_DMA, false)
                        .set(GENERIC_ISA_FLOPPY, false)
                        .set(GENERIC_PCI_BUS, false)
                        .set(GENERIC_PIC, false)
                        .set(GENERIC_PIT, false)
                        .set(GENERIC_PSP, psp)
                        .set(HYPERV_FIRMWARE_PCAT, false)
                        .set(HYPERV_FIRMWARE_UEFI, type == BaseChipsetType.HYPERV_GEN2_UEFI)
                        .set(HYPERV_FRAMEBUFFER, framebuffer)
                        .set(HYPERV_GUEST_WATCHDOG, guestWatchdog)
                        .set(HYPERV_IDE, false)
                        .set(HYPERV_POWER_MANAGEMENT, isX86)
                        .set(HYPERV_VGA, false)
                        .set(I440BX_HOST_PCI_BRIDGE, false)
                        .set(PIIX4_CMOS_RTC, false)
                        .set(PIIX4_PCI_BUS, false)
                        .set(PIIX4_PCI_ISA_BRIDGE, false)
                        .set(PIIX4_PCI_USB_UHCI_STUB, false)
                        .set(PIIX4_POWER_MANAGEMENT, false)
                        .set(UNDERHILL_VGA_PROXY, false)
                        .set(WINBOND_SUPER_IO_AND_FLOPPY_STUB, false)
                        .set(WINBOND_SUPER_IO_AND_FLOPPY_FULL, false)
                        .build();
                maybeAttachArchSerial(devices, true);
                // No PIC, PIT, PCI bus or DMA here: silence the probes guests make anyway.
                attachMissingArchPorts(devices, true);
                attachBatteryIfRequested(devices);
            }
            case HCL_HOST -> {
                // The HCL decides what the guest sees; the host presents no architectural devices.
                chipset = new Flags().set(HYPERV_FRAMEBUFFER, framebuffer).build();
                maybeAttachArchSerial(devices, false);
                attachBatteryIfRequested(devices);
            }
            default -> throw new IllegalStateException("unhandled chipset type " + type);
        }
        devices.addAll(pciSlots.values());
        return new VmManifest(type, arch, chipset, devices);
    }

    private void attachI8042(List<ChipsetDeviceHandle> devices) {
        devices.add(new ChipsetDeviceHandle("i8042",
                new I8042Handle(new MultiplexedKeyboardHandle(0).toResource()).toResource()));
    }

    /**
     * jvmm's addition to the seed's device list: the reset control register at 0xCF9 beside the
     * generic PCI bus (whose ports around it it leaves free), so Linux's {@code reboot=pci} and the
     * reset-vector stub of direct boots reset the VM.
     */
    private static void attachResetControl(List<ChipsetDeviceHandle> devices) {
        devices.add(new ChipsetDeviceHandle(RESET_CONTROL_NAME, ResetControlHandle.INSTANCE.toResource()));
    }

    private void attachBatteryIfRequested(List<ChipsetDeviceHandle> devices) {
        if (battery != null) {
            devices.add(new ChipsetDeviceHandle("battery", new BatteryHandle(arch, battery).toResource()));
        }
    }

    private void maybeAttachArchSerial(List<ChipsetDeviceHandle> devices, boolean registerMissing)
            throws ManifestBuildException {
        if (serial != null) {
            switch (arch) {
                case X86_64 -> attachSerial16550(devices, serial);
                case AARCH64 -> {
                    if (serialWaitForRts) {
                        throw new ManifestBuildException(Reason.WAIT_FOR_RTS_NOT_SUPPORTED);
                    }
                    attachSerialPl011(devices, serial);
                }
                default -> throw new IllegalStateException("unhandled architecture " + arch);
            }
        } else if (registerMissing && arch == MachineArch.X86_64) {
            devices.add(new ChipsetDeviceHandle("missing-serial", new MissingDevHandle()
                    .claimPio("com1", 0x3f8, 0x3ff)
                    .claimPio("com2", 0x2f8, 0x2ff)
                    .claimPio("com3", 0x3e8, 0x3ef)
                    .claimPio("com4", 0x2e8, 0x2ef)
                    .toResource()));
        }
    }

    private void attachDebugcon(List<ChipsetDeviceHandle> devices) {
        // Rust's {port:#x?}: lower-case hex with a 0x prefix, e.g. debugcon-0xe9.
        devices.add(new ChipsetDeviceHandle("debugcon-0x" + Integer.toHexString(debugconPort),
                new DebugconHandle(debugconPort, debugconBackend).toResource()));
    }

    private void attachSerial16550(List<ChipsetDeviceHandle> devices, List<Resource<SerialBackend>> backends) {
        List<Resource<SerialBackend>> connected = new ArrayList<>(4);
        for (Resource<SerialBackend> b : backends) {
            connected.add(orDisconnected(b));
        }
        List<Serial16550Handle> ports = Serial16550Handle.comPorts(connected);
        for (int i = 0; i < ports.size(); i++) {
            Serial16550Handle port = serialWaitForRts ? ports.get(i).withWaitForRts(true) : ports.get(i);
            devices.add(new ChipsetDeviceHandle(SERIAL_16550_NAMES.get(i), port.toResource()));
        }
    }

    private static void attachSerialPl011(List<ChipsetDeviceHandle> devices, List<Resource<SerialBackend>> backends)
            throws ManifestBuildException {
        if (backends.get(2) != null || backends.get(3) != null) {
            throw new ManifestBuildException(Reason.UNSUPPORTED_SERIAL_COUNT);
        }
        devices.add(new ChipsetDeviceHandle("com1",
                new Pl011Handle(Pl011Handle.COM1_BASE, Pl011Handle.COM1_IRQ, orDisconnected(backends.get(0)))
                        .toResource()));
        devices.add(new ChipsetDeviceHandle("com2",
                new Pl011Handle(Pl011Handle.COM2_BASE, Pl011Handle.COM2_IRQ, orDisconnected(backends.get(1)))
                        .toResource()));
    }

    private void attachMissingArchPorts(List<ChipsetDeviceHandle> devices, boolean pcatMissing) {
        if (arch != MachineArch.X86_64) {
            return;
        }
        // Some Linux versions write to port 0xED as an I/O delay.
        devices.add(missing("io-delay-0xed", new MissingDevHandle().claimPio("delay", 0xed, 0xed)));
        // Some Windows versions access the VMware backdoor ports unconditionally.
        devices.add(missing("missing-vmware-backdoor", new MissingDevHandle().claimPio("backdoor", 0x5658, 0x5659)));
        // DOS games often poll the gameport unconditionally.
        devices.add(missing("missing-gameport", new MissingDevHandle().claimPio("gameport", 0x201, 0x201)));
        if (pcatMissing) {
            devices.add(missing("missing-pic", new MissingDevHandle()
                    .claimPio("primary", 0x20, 0x21)
                    .claimPio("secondary", 0xa0, 0xa1)));
            devices.add(missing("missing-pit", new MissingDevHandle()
                    .claimPio("main", 0x40, 0x43)
                    .claimPio("port61", 0x61, 0x61)));
            devices.add(missing("missing-pci", new MissingDevHandle()
                    .claimPio("address", 0xcf8, 0xcfb)
                    .claimPio("data", 0xcfc, 0xcff)));
            // Linux probes 0x87 at boot to see whether a DMA controller is present.
            devices.add(missing("missing-dma", new MissingDevHandle().claimPio("io", 0x87, 0x87)));
        }
    }

    private static ChipsetDeviceHandle missing(String name, MissingDevHandle handle) {
        return new ChipsetDeviceHandle(name, handle.toResource());
    }

    private static Resource<SerialBackend> orDisconnected(Resource<SerialBackend> backend) {
        return backend != null ? backend : DisconnectedSerialHandle.resource();
    }

    /** Collects flags the way the seed writes its struct literals: every flag named, on or off. */
    private static final class Flags {
        private final EnumSet<BaseChipsetFlag> on = EnumSet.noneOf(BaseChipsetFlag.class);

        Flags set(BaseChipsetFlag flag, boolean value) {
            if (value) {
                on.add(flag);
            }
            return this;
        }

        BaseChipsetManifest build() {
            return new BaseChipsetManifest(on);
        }
    }
}
