package io.jvmm.runtime.manifest;

import java.util.Locale;

/** The VM's base chipset type: which core devices (timers, interrupt controllers, buses) it has. */
public enum BaseChipsetType {
    /** Hyper-V generation 1: PCAT firmware and a PIIX4 chipset. */
    HYPERV_GEN1,
    /** Hyper-V generation 2 with UEFI and no legacy devices. */
    HYPERV_GEN2_UEFI,
    /** Hyper-V generation 2 booting Linux directly, no legacy devices. */
    HYPERV_GEN2_LINUX_DIRECT,
    /** A host for an HCL (Underhill) instance: no architectural devices at all. */
    HCL_HOST,
    /** Unenlightened Linux: a PCI bus and the basic architectural devices. */
    UNENLIGHTENED_LINUX_DIRECT;

    /** The kebab-case spelling used on the command line and in manifests, e.g. {@code hyperv-gen1}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** Parses the kebab-case label (snake_case is accepted too). */
    public static BaseChipsetType parse(String text) {
        String norm = text.trim().toLowerCase(Locale.ROOT).replace('_', '-');
        for (BaseChipsetType t : values()) {
            if (t.label().equals(norm)) {
                return t;
            }
        }
        StringBuilder known = new StringBuilder();
        for (BaseChipsetType t : values()) {
            known.append(known.length() == 0 ? "" : ", ").append(t.label());
        }
        throw new IllegalArgumentException("unknown chipset type '" + text + "' (expected one of: " + known + ")");
    }
}
