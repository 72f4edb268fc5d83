package io.jvmm.runtime.acpi;

import io.jvmm.api.device.AcpiNode;
import io.jvmm.api.device.AcpiPmBlock;
import io.jvmm.api.device.IoRegion;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What the ACPI tables describe: the facts of one built x86 board, gathered by
 * {@link ChipsetAcpi}. The tables say nothing the board does not have.
 *
 * @param vcpus virtual processors; processor i has local APIC ID i and ACPI processor UID i
 * @param pm the power-management block (FADT fixed hardware), if the board has one; without it the
 *     FADT declares a hardware-reduced platform
 * @param ioapic whether there is an IOAPIC (KVM's in-kernel one: id 0, 0xFEC00000, 24 pins)
 * @param pic whether there are the two 8259s (MADT flag PCAT_COMPAT)
 * @param pit whether there is an 8254 on ISA IRQ 0 (then IRQ 0 is GSI 2, as on every PC)
 * @param rtc whether there is a CMOS RTC at 0x70 (else FADT IAPC_BOOT_ARCH says it is absent)
 * @param rtcCenturyIndex the CMOS index of the century byte, or 0 if the RTC has none
 * @param i8042 whether there is an 8042 keyboard controller (FADT IAPC_BOOT_ARCH bit 8042)
 * @param vga whether there is a VGA (else IAPC_BOOT_ARCH says "VGA not present")
 * @param devices the DSDT device nodes, in board order
 */
public record AcpiPlatform(int vcpus, Optional<AcpiPmBlock> pm, boolean ioapic, boolean pic, boolean pit,
        boolean rtc, int rtcCenturyIndex, boolean i8042, boolean vga, List<DeviceNode> devices) {
    public AcpiPlatform {
        if (vcpus < 1 || vcpus > 255) {
            throw new IllegalArgumentException("the MADT describes 1..255 processors with 8-bit APIC IDs, not "
                    + vcpus);
        }
        Objects.requireNonNull(pm, "pm");
        devices = List.copyOf(devices);
    }

    /**
     * A device's DSDT node, its current resources ({@code _CRS}) and the regions its registers lie in.
     *
     * @param node what the device said about itself
     * @param resources its ports, memory and IRQs as descriptors
     * @param device which board device declared the node (nodes of one device may notify each other),
     *     or -1 for a node on its own
     * @param pioRegions the device's port regions, which {@link AcpiNode.Register}s of
     *     {@link AcpiNode.Space#PORT_IO} index
     * @param mmioRegions the device's MMIO regions, which {@link AcpiNode.Space#MMIO} registers index
     */
    public record DeviceNode(AcpiNode node, List<AcpiResource> resources, int device, List<IoRegion> pioRegions,
            List<IoRegion> mmioRegions) {
        public DeviceNode {
            Objects.requireNonNull(node, "node");
            resources = List.copyOf(resources);
            pioRegions = List.copyOf(pioRegions);
            mmioRegions = List.copyOf(mmioRegions);
        }

        /** A node of its own, without registers. */
        public DeviceNode(AcpiNode node, List<AcpiResource> resources) {
            this(node, resources, -1, List.of(), List.of());
        }
    }
}
