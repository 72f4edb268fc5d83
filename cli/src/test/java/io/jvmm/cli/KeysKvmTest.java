package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.handles.I8042Handle;
import io.jvmm.api.handles.MultiplexedKeyboardHandle;
import io.jvmm.runtime.manifest.ChipsetDeviceHandle;
import io.jvmm.runtime.manifest.VmManifest;
import io.jvmm.runtime.vm.LaunchedVm;
import io.jvmm.runtime.vm.ResetPolicy;
import io.jvmm.runtime.vm.VmOutcome;
import io.jvmm.testkit.RequiresKvm;
import io.jvmm.testkit.ScaledTimeout;
import io.jvmm.testkit.TestTime;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jvmm ctl keys} reaches a guest through the keyboard distributor and the i8042. */
@ScaledTimeout(60)
@RequiresKvm
class KeysKvmTest {
    @TempDir
    Path dir;

    @Test
    void keysSentThroughTheControlSocketArriveAsScanCodes() throws Exception {
        VmHarness.kvm();
        Path debugcon = dir.resolve("debugcon.txt");
        VmManifest base = ChipsetGuests.debugconManifest(debugcon);
        List<ChipsetDeviceHandle> devices = new ArrayList<>(base.devices());
        devices.add(new ChipsetDeviceHandle("i8042",
                new I8042Handle(new MultiplexedKeyboardHandle(0).toResource()).toResource()));
        VmManifest manifest = new VmManifest(base.type(), base.arch(), base.chipset(), devices);
        Path sock = dir.resolve("vm.sock");
        try (LaunchedVm vm = VmHarness.launch(manifest, VmHarness.firmware(TestGuests.DIR.resolve("keys.bin")),
                32L << 20, 1, ResetPolicy.EXIT);
                ControlServer control = ControlServer.start(sock, new LaunchedVmControl(vm))) {
            CompletableFuture<VmOutcome> run = VmHarness.start(vm);
            String ready = VmHarness.awaitFile(debugcon, t -> t.contains("keys: ready\n"), TestTime.seconds(20));
            assertTrue(ready.contains("keys: ready\n"), ready);
            CliHarness ctl = CliHarness.run("ctl", "--api-socket", sock.toString(), "keys", "a", "Enter");
            assertEquals(0, ctl.exitCode(), ctl.err());
            VmOutcome outcome = run.get(TestTime.seconds(30).toMillis(), TimeUnit.MILLISECONDS);
            assertTrue(outcome instanceof VmOutcome.PoweredOff, outcome.toString());
            // set-1 codes, make then break for each key: a = 1e/9e, Enter = 1c/9c
            assertEquals("keys: ready\n1e\n9e\n1c\n9c\n", java.nio.file.Files.readString(debugcon));
        }
    }
}
