package io.jvmm.cli;

import io.jvmm.api.handles.FileSerialHandle;
import io.jvmm.api.hv.MachineArch;
import io.jvmm.runtime.manifest.BaseChipsetType;
import io.jvmm.runtime.manifest.ManifestBuildException;
import io.jvmm.runtime.manifest.VmManifest;
import io.jvmm.runtime.manifest.VmManifestBuilder;
import io.jvmm.runtime.vm.GuestPayload;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/** The whole-VM test guests in src/test/guests and the default chipset they run on. */
final class TestGuests {
    /** Relative to the cli module, where surefire runs. */
    static final Path DIR = Path.of("src", "test", "guests");
    static final int DEBUGCON_PORT = 0xe9;

    private TestGuests() {}

    /** The committed image {@code name}.bin as a firmware payload. */
    static GuestPayload firmware(String name) throws IOException {
        return VmHarness.firmware(DIR.resolve(name + ".bin"));
    }

    /**
     * The default chipset (unenlightened Linux direct, x86_64) with COM1 writing to {@code com1}
     * (none if null) and a debug console at 0xE9 writing to {@code debugcon} (none if null).
     */
    static VmManifest defaultChipset(Path com1, Path debugcon) throws ManifestBuildException {
        VmManifestBuilder b = new VmManifestBuilder(BaseChipsetType.UNENLIGHTENED_LINUX_DIRECT, MachineArch.X86_64);
        if (com1 != null) {
            b.withSerial(Arrays.asList(FileSerialHandle.resource(com1.toString()), null, null, null));
        }
        if (debugcon != null) {
            b.withDebugcon(FileSerialHandle.resource(debugcon.toString()), DEBUGCON_PORT);
        }
        return b.build();
    }
}
