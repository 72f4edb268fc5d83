package io.jvmm.runtime.manifest;

import java.util.Locale;

/**
 * The base-chipset devices of the seed's {@code BaseChipsetManifest}. Each set flag is a device
 * resolved as {@code chipset_device:<id>} (the flag's name without {@code with_}), unless the
 * hypervisor supplies it.
 */
public enum BaseChipsetFlag {
    GENERIC_CMOS_RTC,
    GENERIC_IOAPIC,
    GENERIC_ISA_DMA,
    GENERIC_ISA_FLOPPY,
    GENERIC_PCI_BUS,
    GENERIC_PIC,
    GENERIC_PIT,
    GENERIC_PSP,
    HYPERV_FIRMWARE_PCAT,
    HYPERV_FIRMWARE_UEFI,
    HYPERV_FRAMEBUFFER,
    HYPERV_GUEST_WATCHDOG,
    HYPERV_IDE,
    HYPERV_POWER_MANAGEMENT,
    HYPERV_VGA,
    I440BX_HOST_PCI_BRIDGE,
    PIIX4_CMOS_RTC,
    PIIX4_PCI_BUS,
    PIIX4_PCI_ISA_BRIDGE,
    PIIX4_PCI_USB_UHCI_STUB,
    PIIX4_POWER_MANAGEMENT,
    UNDERHILL_VGA_PROXY,
    WINBOND_SUPER_IO_AND_FLOPPY_STUB,
    WINBOND_SUPER_IO_AND_FLOPPY_FULL;

    /** The resolver id, e.g. {@code generic_cmos_rtc}. */
    public String deviceId() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The manifest key, e.g. {@code with_generic_cmos_rtc}. */
    public String key() {
        return "with_" + deviceId();
    }

    /** The flag for a manifest key, or null. */
    public static BaseChipsetFlag fromKey(String key) {
        for (BaseChipsetFlag f : values()) {
            if (f.key().equals(key)) {
                return f;
            }
        }
        return null;
    }
}
