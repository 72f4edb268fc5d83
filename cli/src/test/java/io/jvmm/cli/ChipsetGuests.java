package io.jvmm.cli;

import io.jvmm.api.handles.FileSerialHandle;
import io.jvmm.api.hv.MachineArch;
import io.jvmm.runtime.manifest.BaseChipsetType;
import io.jvmm.runtime.manifest.VmManifest;
import io.jvmm.runtime.manifest.VmManifestBuilder;
import io.jvmm.runtime.vm.GuestPayload;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** The chipset test guests (src/test/guests-chipset) and the manifests they run on. */
final class ChipsetGuests {
    static final Path DIR = Path.of("src", "test", "guests-chipset");
    /** Every guest build.sh makes. */
    static final String[] NAMES = {"platform", "battery", "triple", "emufail", "halt", "mmio_storm", "serial_flood",
        "reset_storm", "ticker", "acpi_off", "power_button", "snap_counter", "snap_rx"};
    static final long MEMORY = 32L << 20;

    private ChipsetGuests() {}

    static Path bin(String name) {
        return DIR.resolve(name + ".bin");
    }

    static GuestPayload image(String name) throws Exception {
        return VmHarness.firmware(bin(name));
    }

    /** The default chipset (unenlightened-linux-direct, x86_64) with the debug port 0xE9 writing to {@code file}. */
    static VmManifestBuilder defaultWithDebugcon(Path file) {
        return new VmManifestBuilder(BaseChipsetType.UNENLIGHTENED_LINUX_DIRECT, MachineArch.X86_64)
                .withDebugcon(FileSerialHandle.resource(file.toString()), 0xE9);
    }

    static VmManifest debugconManifest(Path file) throws Exception {
        return defaultWithDebugcon(file).build();
    }

    static String read(Path file) throws Exception {
        return Files.exists(file) ? Files.readString(file, StandardCharsets.ISO_8859_1) : "";
    }

    static long count(String text, char c) {
        return text.chars().filter(x -> x == c).count();
    }
}
