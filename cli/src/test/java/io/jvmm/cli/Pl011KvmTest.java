package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jvmm.api.handles.FileSerialHandle;
import io.jvmm.api.handles.Pl011Handle;
import io.jvmm.api.hv.MachineArch;
import io.jvmm.runtime.manifest.BaseChipsetType;
import io.jvmm.runtime.manifest.ChipsetDeviceHandle;
import io.jvmm.runtime.manifest.ManifestJson;
import io.jvmm.runtime.manifest.VmManifest;
import io.jvmm.runtime.manifest.VmManifestBuilder;
import io.jvmm.runtime.registry.ResolverRegistry;
import io.jvmm.runtime.vm.LaunchedVm;
import io.jvmm.runtime.vm.ResetPolicy;
import io.jvmm.runtime.vm.VmOutcome;
import io.jvmm.testkit.RequiresKvm;
import io.jvmm.testkit.ScaledTimeout;
import io.jvmm.testkit.TestTime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A PL011 on the default x86 chipset, through real KVM: a manifest document places it in the
 * 32-bit MMIO hole, and a 32-bit guest initializes it like Linux's amba-pl011 driver, prints over
 * it with earlycon's polling putc, runs a loopback self-test and powers off.
 */
@ScaledTimeout(90)
class Pl011KvmTest {
    private static final Path GUEST_DIR = Path.of("src", "test", "guests-pl011");
    private static final long PL011_BASE = 0xD000_0000L;
    private static final int PL011_IRQ = 5;

    @Test
    void committedImageMatchesItsSource(@TempDir Path out) throws Exception {
        assumeTrue(DemoGuestImageTest.hasBinutils(), "GNU as/ld not installed: cannot rebuild pl011_hello.S");
        Process p = new ProcessBuilder("sh", GUEST_DIR.resolve("build.sh").toString(), out.toString())
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), log);
        assertArrayEquals(Files.readAllBytes(GUEST_DIR.resolve("pl011_hello.bin")),
                Files.readAllBytes(out.resolve("pl011_hello.bin")),
                "pl011_hello.bin is stale: run cli/src/test/guests-pl011/build.sh and commit the result");
    }

    /** The default x86 chipset plus a PL011 at 0xD0000000, irq 5, writing to {@code output}; as a JSON document. */
    static String manifestDocument(Path output) throws Exception {
        VmManifest chipset = new VmManifestBuilder(BaseChipsetType.UNENLIGHTENED_LINUX_DIRECT, MachineArch.X86_64)
                .build();
        List<ChipsetDeviceHandle> devices = new ArrayList<>(chipset.devices());
        devices.add(new ChipsetDeviceHandle("pl011-0xd0000000",
                new Pl011Handle(PL011_BASE, PL011_IRQ, FileSerialHandle.resource(output.toString())).toResource()));
        return new ManifestJson().write(new VmManifest(chipset.type(), chipset.arch(), chipset.chipset(), devices));
    }

    @Test
    @RequiresKvm
    void guestInitializesThePl011LikeLinuxPrintsAndPowersOff(@TempDir Path dir) throws Exception {
        VmHarness.kvm();
        Path output = dir.resolve("pl011.txt");
        String json = manifestDocument(output);
        assertTrue(json.contains("\"serial_pl011\"") && json.contains("0xd0000000"), json);
        VmManifest manifest = new ManifestJson().read(json, ResolverRegistry.builder().loadBootLayer().build());

        VmOutcome outcome;
        try (LaunchedVm vm = VmHarness.launch(manifest, VmHarness.firmware(GUEST_DIR.resolve("pl011_hello.bin")),
                16L << 20, 1, ResetPolicy.EXIT)) {
            outcome = VmHarness.runToEnd(vm, TestTime.seconds(60));
        }
        assertInstanceOf(VmOutcome.PoweredOff.class, outcome, outcome.toString());
        String text = VmHarness.awaitFile(output, t -> t.endsWith("powering off\r\n"), TestTime.seconds(10));
        assertEquals("jvmm pl011 guest: a PL011 at 0xd0000000\r\n"
                + "periph id 0x00341011 cell id 0xb105f00d\r\n"
                // the divisors latched by the LCR_H write, the Linux startup's CR and IMSC (RX | RT)
                + "ibrd 0x0000000d fbrd 0x00000001 lcr_h 0x00000070 cr 0x00000301 imsc 0x00000050\r\n"
                + "loopback: ok\r\n"
                + "hello from a 32-bit guest over an SBSA/PL011 UART\r\n"
                + "powering off\r\n", text);
    }
}
