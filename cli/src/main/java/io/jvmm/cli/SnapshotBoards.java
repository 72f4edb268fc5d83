package io.jvmm.cli;

import io.jvmm.runtime.manifest.BaseChipsetFlag;
import io.jvmm.runtime.manifest.ChipsetDeviceHandle;
import io.jvmm.runtime.manifest.VmManifest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Whether a restore's command line describes the same board as the snapshot: the same chipset type,
 * architecture and base-chipset devices, and the same devices by name and kind. Their configuration
 * (host backends: the file a serial port writes to, a disk's image, a tap device) may differ: that
 * is what re-attaching them from the command line is for.
 */
final class SnapshotBoards {
    private SnapshotBoards() {}

    /** Each difference in words; empty when the boards match. */
    static List<String> differences(VmManifest saved, VmManifest given) {
        List<String> out = new ArrayList<>();
        if (saved.type() != given.type()) {
            out.add("chipset " + given.type().label() + " instead of the snapshot's " + saved.type().label());
        }
        if (saved.arch() != given.arch()) {
            out.add("arch " + given.arch().label() + " instead of the snapshot's " + saved.arch().label());
        }
        for (BaseChipsetFlag flag : BaseChipsetFlag.values()) {
            if (saved.chipset().has(flag) != given.chipset().has(flag)) {
                out.add("base-chipset " + flag.key() + " is " + (given.chipset().has(flag) ? "on" : "off")
                        + ", in the snapshot " + (saved.chipset().has(flag) ? "on" : "off"));
            }
        }
        Map<String, String> savedKinds = kinds(saved);
        Map<String, String> givenKinds = kinds(given);
        savedKinds.forEach((name, kind) -> {
            String other = givenKinds.get(name);
            if (other == null) {
                out.add("device " + name + " (" + kind + ") is missing");
            } else if (!other.equals(kind)) {
                out.add("device " + name + " is " + other + ", in the snapshot " + kind);
            }
        });
        givenKinds.forEach((name, kind) -> {
            if (!savedKinds.containsKey(name)) {
                out.add("device " + name + " (" + kind + ") is not in the snapshot");
            }
        });
        return out;
    }

    private static Map<String, String> kinds(VmManifest m) {
        Map<String, String> out = new LinkedHashMap<>();
        for (ChipsetDeviceHandle d : m.devices()) {
            out.put(d.name(), d.resource().kind().name() + ":" + d.resource().id());
        }
        return out;
    }
}
