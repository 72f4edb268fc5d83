package io.jvmm.runtime.acpi;

import io.jvmm.api.device.AcpiNode;
import io.jvmm.api.device.AcpiPmBlock;
import io.jvmm.api.device.Capabilities;
import io.jvmm.api.device.IoRegion;
import io.jvmm.api.device.MmioIntercept;
import io.jvmm.api.device.PortIoIntercept;
import io.jvmm.api.handles.I8042Handle;
import io.jvmm.runtime.board.BoardDevice;
import io.jvmm.runtime.board.Chipset;
import io.jvmm.runtime.manifest.BaseChipsetFlag;
import io.jvmm.runtime.manifest.BaseChipsetManifest;
import io.jvmm.runtime.manifest.ChipsetDeviceHandle;
import io.jvmm.runtime.manifest.VmManifest;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the facts the ACPI tables state off a built x86 board: the manifest's base-chipset flags
 * (what the hypervisor supplies — IOAPIC, PIC, PIT — is named there too) and the capabilities the
 * devices declare ({@link AcpiPmBlock}, {@link AcpiNode}, their regions).
 */
public final class ChipsetAcpi {
    private static final Logger LOG = LoggerFactory.getLogger(ChipsetAcpi.class);
    /** The MC146818's century byte in jvmm's generic_cmos_rtc (as on PC/AT-compatible CMOS). */
    static final int GENERIC_RTC_CENTURY_INDEX = 0x32;
    /** The most ports one IO descriptor can cover. */
    private static final int IO_DESCRIPTOR_MAX = 0xFF;
    /** The PCI configuration mechanism #1 ports (PCI Local Bus 3.0 §3.2.2.3.2). */
    private static final long PCI_CONFIG_PORTS_START = 0xCF8;
    private static final long PCI_CONFIG_PORTS_END = 0xCFF;

    private ChipsetAcpi() {}

    /** The tables for {@code chipset}, built from {@code manifest}, with {@code vcpus} processors. */
    public static AcpiTables tables(VmManifest manifest, Chipset chipset, int vcpus) {
        return AcpiTableBuilder.build(platform(manifest, chipset.devices(), vcpus));
    }

    /** The platform facts of a board. */
    public static AcpiPlatform platform(VmManifest manifest, List<BoardDevice> devices, int vcpus) {
        BaseChipsetManifest base = manifest.chipset();
        Optional<AcpiPmBlock> pm = Optional.empty();
        List<AcpiPlatform.DeviceNode> nodes = new ArrayList<>();
        int deviceIndex = 0;
        for (BoardDevice d : devices) {
            // Capabilities are the same value every time (ChipsetDevice's contract): reading them again is safe.
            Capabilities caps = d.device().capabilities();
            if (caps.acpiPmBlock().isPresent()) {
                if (pm.isPresent()) {
                    LOG.warn("{} also declares an ACPI PM block; the FADT describes only the first one", d.name());
                } else {
                    pm = caps.acpiPmBlock();
                }
            }
            List<IoRegion> pio = caps.portIo().map(PortIoIntercept::pioRegions).orElse(List.of());
            List<IoRegion> mmio = caps.mmio().map(MmioIntercept::mmioRegions).orElse(List.of());
            boolean first = true;
            for (AcpiNode node : caps.acpiNodes()) {
                // The device's regions are the first node's; the others name only their IRQs.
                List<AcpiResource> crs = first ? resources(caps, node) : irqsAndWindows(node);
                nodes.add(new AcpiPlatform.DeviceNode(node, crs, deviceIndex, pio, mmio));
                first = false;
            }
            deviceIndex++;
        }
        boolean i8042 = false;
        for (ChipsetDeviceHandle h : manifest.devices()) {
            i8042 |= h.resource().id().equals(I8042Handle.ID);
        }
        boolean genericRtc = base.has(BaseChipsetFlag.GENERIC_CMOS_RTC);
        boolean rtc = genericRtc || base.has(BaseChipsetFlag.PIIX4_CMOS_RTC);
        boolean vga = base.has(BaseChipsetFlag.HYPERV_VGA) || base.has(BaseChipsetFlag.UNDERHILL_VGA_PROXY);
        return new AcpiPlatform(vcpus, pm, base.has(BaseChipsetFlag.GENERIC_IOAPIC),
                base.has(BaseChipsetFlag.GENERIC_PIC), base.has(BaseChipsetFlag.GENERIC_PIT), rtc,
                genericRtc ? GENERIC_RTC_CENTURY_INDEX : 0, i8042, vga, nodes);
    }

    /**
     * {@code _CRS}: the declared port regions (regions that continue one another as one range, and a
     * bridge's PCI configuration ports as 0xCF8-0xCFF, which is how an OS recognizes the
     * configuration ports), the MMIO regions below 4 GiB, the IRQs, then the node's bridge windows.
     */
    static List<AcpiResource> resources(Capabilities caps, AcpiNode node) {
        List<AcpiResource> out = new ArrayList<>();
        List<IoRegion> ports = caps.portIo().map(PortIoIntercept::pioRegions).orElse(List.of());
        List<long[]> runs = contiguous(ports);
        if (!node.windows().isEmpty() && !ports.isEmpty()
                && ports.stream().allMatch(r -> r.start() >= PCI_CONFIG_PORTS_START && r.end() <= PCI_CONFIG_PORTS_END)) {
            // A bridge on the PCI configuration ports decodes all of 0xCF8-0xCFF, even where a chipset
            // register sits inside the range and another device serves it (0xCF9's reset control, as
            // on PIIX/ICH chipsets), and an OS recognizes the configuration mechanism by exactly that
            // range (Linux drops an IO resource of exactly 0xCF8-0xCFF from the root bus's windows).
            runs = List.of(new long[] {PCI_CONFIG_PORTS_START, PCI_CONFIG_PORTS_END});
        }
        for (long[] r : runs) {
            for (long at = r[0]; at <= r[1]; at += IO_DESCRIPTOR_MAX) {
                int length = (int) Math.min(IO_DESCRIPTOR_MAX, r[1] - at + 1);
                out.add(AcpiResource.Io.fixed((int) at, length));
            }
        }
        for (IoRegion r : caps.mmio().map(MmioIntercept::mmioRegions).orElse(List.of())) {
            if (r.end() <= 0xFFFF_FFFFL) {
                out.add(new AcpiResource.Memory32Fixed(true, r.start(), r.length()));
            } else {
                LOG.warn("{}: MMIO region {} is above 4 GiB; its ACPI node does not list it", node.name(), r);
            }
        }
        out.addAll(irqsAndWindows(node));
        return out;
    }

    /** {@code [start, end]} of each run of regions, in declared order, that follow one another without a gap. */
    private static List<long[]> contiguous(List<IoRegion> regions) {
        List<long[]> out = new ArrayList<>();
        for (IoRegion r : regions) {
            long[] last = out.isEmpty() ? null : out.get(out.size() - 1);
            if (last != null && last[1] + 1 == r.start()) {
                last[1] = r.end();
            } else {
                out.add(new long[] {r.start(), r.end()});
            }
        }
        return out;
    }

    private static List<AcpiResource> irqsAndWindows(AcpiNode node) {
        List<AcpiResource> out = irqs(node);
        for (AcpiNode.Window w : node.windows()) {
            out.add(switch (w.kind()) {
                case BUS_NUMBERS -> new AcpiResource.WordBusNumber((int) w.min(), (int) w.max());
                case PORT_IO -> new AcpiResource.WordIo((int) w.min(), (int) w.max());
                case MEMORY32 -> new AcpiResource.DWordMemory(w.min(), w.max());
            });
        }
        return out;
    }

    private static List<AcpiResource> irqs(AcpiNode node) {
        List<AcpiResource> out = new ArrayList<>();
        for (int irq : node.irqs()) {
            out.add(new AcpiResource.IrqNoFlags(irq));
        }
        return out;
    }
}
