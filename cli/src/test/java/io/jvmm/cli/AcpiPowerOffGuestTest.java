package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import io.jvmm.api.handles.FileSerialHandle;
import io.jvmm.runtime.manifest.VmManifest;
import io.jvmm.runtime.vm.LaunchedVm;
import io.jvmm.runtime.vm.ResetPolicy;
import io.jvmm.runtime.vm.VmLauncher;
import io.jvmm.runtime.vm.VmOutcome;
import io.jvmm.runtime.vm.VmSpec;
import io.jvmm.testkit.RequiresKvm;
import io.jvmm.testkit.ScaledTimeout;
import io.jvmm.testkit.TestTime;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our 32-bit guest {@code acpi_off} powers off the way an ACPI OS does, with nothing hard-coded: it
 * finds the RSDP in 0xE0000-0xFFFFF, walks the XSDT to the FADT, reads PM1a_CNT_BLK there and
 * SLP_TYPa from the DSDT's {@code \_S5}, and writes them with SLP_EN. With the board's tables
 * ({@link VmLauncher#acpiTablesForFirmware(boolean)}, which a firmware of 64 KiB gets below its low copy) the
 * run ends as a power-off by dev-pm's S5.
 */
@ScaledTimeout(60)
@RequiresKvm
class AcpiPowerOffGuestTest {
    @TempDir
    Path dir;

    @Test
    void theGuestFindsPm1aControlAndS5InTheTablesAndPowersOff() throws Exception {
        VmHarness.kvm();
        Path com1 = dir.resolve("com1.txt");
        VmManifest manifest = ChipsetGuests.defaultWithDebugcon(dir.resolve("e9.txt"))
                .withSerial(Arrays.asList(FileSerialHandle.resource(com1.toString()), null, null, null))
                .build();
        VmSpec spec = new VmSpec(manifest, ChipsetGuests.MEMORY, 1, ChipsetGuests.image("acpi_off"), ResetPolicy.EXIT);
        try (LaunchedVm vm = new VmLauncher(ModuleLayer.boot()).acpiTablesForFirmware(true).launch(spec, VmHarness.kvm())) {
            VmOutcome outcome = VmHarness.start(vm).get(TestTime.seconds(30).toMillis(), TimeUnit.MILLISECONDS);
            String text = ChipsetGuests.read(com1);
            System.out.print("acpi_off guest COM1:\n" + text.replace("\r", ""));
            assertFalse(text.contains("FAIL"), text);
            assertTrue(text.contains("acpi: RSDP at 0x000e0000 revision 2\r\n"), text);
            assertTrue(text.contains("acpi: root table XSDT at "), "revision 2: the XSDT, not the RSDT: " + text);
            assertTrue(text.contains(" PM1a_CNT_BLK 0x0404\r\n"), "dev-pm's PM1a control block: " + text);
            assertTrue(text.contains("acpi: \\_S5 SLP_TYPa 0\r\n"), text);
            assertTrue(text.contains("acpi: entering S5\r\n") && !text.contains("still running"), text);
            assertTrue(outcome instanceof VmOutcome.PoweredOff p && p.how().contains("S5"),
                    "powered off by dev-pm's S5: " + outcome + "; " + text);
        }
    }
}
