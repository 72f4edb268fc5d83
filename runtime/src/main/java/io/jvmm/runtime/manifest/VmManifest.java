package io.jvmm.runtime.manifest;

import io.jvmm.api.hv.MachineArch;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Everything the chipset of one VM is made of: the chipset type and architecture it was built
 * for, the base-chipset flags and the device handles, in resolution order.
 */
public record VmManifest(BaseChipsetType type, MachineArch arch, BaseChipsetManifest chipset,
        List<ChipsetDeviceHandle> devices) {
    /** The document format version this class reads and writes. */
    public static final int VERSION = 1;

    public VmManifest {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(arch, "arch");
        Objects.requireNonNull(chipset, "chipset");
        devices = List.copyOf(devices);
        Set<String> names = new HashSet<>();
        for (ChipsetDeviceHandle d : devices) {
            if (!names.add(d.name())) {
                throw new IllegalArgumentException("device name '" + d.name()
                        + "' is used twice; every device in a manifest needs its own name");
            }
        }
    }
}
