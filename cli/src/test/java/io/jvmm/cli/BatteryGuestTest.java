package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.handles.FileSerialHandle;
import io.jvmm.runtime.manifest.VmManifest;
import io.jvmm.runtime.vm.LaunchedVm;
import io.jvmm.runtime.vm.ResetPolicy;
import io.jvmm.runtime.vm.VmOutcome;
import io.jvmm.testkit.RequiresKvm;
import io.jvmm.testkit.ScaledTimeout;
import io.jvmm.testkit.TestTime;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The battery through real KVM: a guest reads its MMIO registers and GPE0 status before and after
 * a host update sent the way the control socket sends it.
 */
@ScaledTimeout(90)
@RequiresKvm
class BatteryGuestTest {
    @TempDir
    Path dir;

    @Test
    void guestSeesTheInitialBatteryThenTheControlSocketsUpdateWithANotification() throws Exception {
        VmHarness.kvm();
        Path com1 = dir.resolve("com1.txt");
        VmManifest manifest = ChipsetGuests.defaultWithDebugcon(dir.resolve("e9.txt"))
                .withSerial(Arrays.asList(FileSerialHandle.resource(com1.toString()), null, null, null))
                .withBattery(BatterySpec.parse("50%"))
                .build();
        try (LaunchedVm vm = VmHarness.launch(manifest, ChipsetGuests.image("battery"), ChipsetGuests.MEMORY, 1,
                ResetPolicy.EXIT)) {
            CompletableFuture<VmOutcome> run = VmHarness.start(vm);
            String first = VmHarness.awaitFile(com1, t -> t.contains("ready\r\n"), TestTime.seconds(30));
            assertTrue(first.contains("ready\r\n"), "the guest dumped the registers and waits: " + first);

            // 50%: present, charging at 1 mW, 500 of 1000 mWh, AC online; scaled to the DSDT's 5000.
            assertEquals(new Dump(0x1F, 2, 5, 2500, 1, 2, 0x0200), Dump.of("BAT1", first),
                    "first state, its notification (_BIX changed) and GPE0 bit 9: " + first);
            assertEquals(new Dump(0x1F, 2, 5, 2500, 1, 0, 0), Dump.of("ACK ", first),
                    "after the guest acknowledged the notification and cleared GPE0 bit 9: " + first);

            new LaunchedVmControl(vm).battery("present,discharging,rate=1000,remaining=250,max=1000,no-ac");
            assertTrue(vm.chipset().serialBackend("serial-com1").orElseThrow()
                    .injectInput("g".getBytes(StandardCharsets.US_ASCII)), "COM1's file backend takes input");
            VmOutcome outcome = run.get(TestTime.seconds(30).toMillis(), TimeUnit.MILLISECONDS);
            String text = ChipsetGuests.read(com1);
            System.out.print("battery guest COM1:\n" + text.replace("\r", ""));
            assertInstanceOf(VmOutcome.PoweredOff.class, outcome, () -> "got " + outcome + "; " + text);
            assertTrue(text.contains("go\r\n"), text);
            assertEquals(new Dump(0x1F, 1, 5000, 1250, 0, 2, 0x0200), Dump.of("BAT2", text),
                    "discharging at 1000 of 1000 mW, 250 of 1000 mWh, no AC; a new notification set GPE0 bit 9: "
                            + text);
        }
    }

    /** One register dump line of the guest. */
    private record Dump(long sta, long state, long rate, long remaining, long ac, long notifyStatus, long gpe0) {
        private static final Pattern LINE = Pattern.compile(" sta=(\\p{XDigit}{8}) state=(\\p{XDigit}{8})"
                + " rate=(\\p{XDigit}{8}) remaining=(\\p{XDigit}{8}) ac=(\\p{XDigit}{8}) notify=(\\p{XDigit}{8})"
                + " gpe0=(\\p{XDigit}{4})\r\n");

        static Dump of(String label, String text) {
            int at = text.indexOf(label);
            assertTrue(at >= 0, "no " + label + " line: " + text);
            Matcher m = LINE.matcher(text.substring(at + label.length()));
            assertTrue(m.lookingAt(), "malformed " + label + " line: " + text);
            long[] v = new long[7];
            for (int i = 0; i < 7; i++) {
                v[i] = Long.parseLong(m.group(i + 1), 16);
            }
            return new Dump(v[0], v[1], v[2], v[3], v[4], v[5], v[6]);
        }
    }
}
