package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.handles.TcpSerialHandle;
import io.jvmm.api.serial.SerialBackend;
import io.jvmm.runtime.manifest.VmManifest;
import io.jvmm.runtime.vm.LaunchedVm;
import io.jvmm.runtime.vm.ResetPolicy;
import io.jvmm.runtime.vm.VmOutcome;
import io.jvmm.testkit.RequiresKvm;
import io.jvmm.testkit.ScaledTimeout;
import io.jvmm.testkit.TestTime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Guests that misbehave, through real KVM: nothing a guest does may crash or hang the VMM. Each
 * run is bounded; the VM is always closed.
 */
@ScaledTimeout(120)
@RequiresKvm
class HostileGuestTest {
    @TempDir
    Path dir;

    private Path debugcon() {
        return dir.resolve("e9.txt");
    }

    private LaunchedVm launch(String guest, ResetPolicy policy) throws Exception {
        return VmHarness.launch(ChipsetGuests.debugconManifest(debugcon()), ChipsetGuests.image(guest),
                ChipsetGuests.MEMORY, 1, policy);
    }

    @Test
    void protectedModeTripleFaultEndsTheRunUnderExit() throws Exception {
        VmHarness.kvm();
        VmOutcome outcome;
        try (LaunchedVm vm = launch("triple", ResetPolicy.EXIT)) {
            outcome = VmHarness.runToEnd(vm, TestTime.seconds(30));
        }
        VmOutcome.ResetExit exit = assertInstanceOf(VmOutcome.ResetExit.class, outcome, () -> "got " + outcome);
        assertTrue(exit.how().contains("triple-faulted"), exit.how());
        assertEquals("B", ChipsetGuests.read(debugcon()), "booted once, never past ud2");
    }

    @Test
    void protectedModeTripleFaultResetsTheVmUnderRestart() throws Exception {
        VmHarness.kvm();
        try (LaunchedVm vm = launch("triple", ResetPolicy.RESTART)) {
            CompletableFuture<VmOutcome> run = VmHarness.start(vm);
            String text = VmHarness.awaitFile(debugcon(), t -> t.length() >= 3, TestTime.seconds(30));
            Map<String, Object> status = vm.status();
            long stopAsked = System.nanoTime();
            vm.machine().shutdown();
            VmOutcome outcome = run.get(TestTime.seconds(10).toMillis(), TimeUnit.MILLISECONDS);
            System.out.printf("triple fault under restart: %d boots seen, status %s, shutdown took %d ms%n",
                    text.length(), status, (System.nanoTime() - stopAsked) / 1_000_000);
            assertTrue(text.length() >= 3 && text.chars().allMatch(c -> c == 'B'), "booted again and again: " + text);
            assertTrue(((Number) status.get("resets")).intValue() >= 2, "resets counted: " + status);
            assertInstanceOf(VmOutcome.PoweredOff.class, outcome, () -> "got " + outcome);
        }
    }

    @Test
    void anInstructionKvmCannotEmulateFailsTheRunNamingRipAndBytes() throws Exception {
        VmHarness.kvm();
        byte[] image = Files.readAllBytes(ChipsetGuests.bin("emufail"));
        byte[] fldl = {(byte) 0xdd, 0x05, 0x00, 0x00, 0x00, (byte) 0xd0}; // fldl 0xd0000000
        int offset = indexOf(image, fldl);
        assertTrue(offset > 0, "the image holds the fldl");
        long rip = 0xFFFF_0000L + offset; // linked and running at the high ROM alias
        VmOutcome outcome;
        try (LaunchedVm vm = launch("emufail", ResetPolicy.EXIT)) {
            outcome = VmHarness.runToEnd(vm, TestTime.seconds(30));
        }
        System.out.println("x87 load from MMIO: " + outcome);
        VmOutcome.Failed failed = assertInstanceOf(VmOutcome.Failed.class, outcome, () -> "got " + outcome);
        assertTrue(failed.message().contains("RIP 0x" + Long.toHexString(rip)), failed.message());
        assertTrue(failed.message().contains(HexFormat.ofDelimiter(" ").formatHex(fldl)), failed.message());
        assertEquals(1, outcome.exitCode());
        assertEquals("E", ChipsetGuests.read(debugcon()), "the guest never got past the load");
    }

    @Test
    void haltWithInterruptsOffLeavesTheVmControllable() throws Exception {
        VmHarness.kvm();
        Path sock = dir.resolve("vm.sock");
        try (LaunchedVm vm = launch("halt", ResetPolicy.EXIT);
                ControlServer server = ControlServer.start(sock, new LaunchedVmControl(vm))) {
            CompletableFuture<VmOutcome> run = VmHarness.start(vm);
            assertEquals("H", VmHarness.awaitFile(debugcon(), t -> !t.isEmpty(), TestTime.seconds(30)));
            // Well into the halt. Not a synchronization (the 'H' said the guest got there, and nothing
            // below depends on time having passed): it only gives a halt that wrongly ended the run, or
            // a controller stuck behind the halted vCPU, the time to show; so it need not scale.
            Thread.sleep(300);

            long asked = System.nanoTime();
            CliHarness status = CliHarness.run("ctl", "--api-socket", sock.toString(), "status");
            long statusMillis = (System.nanoTime() - asked) / 1_000_000;
            assertEquals(0, status.exitCode(), status.err());
            assertTrue(status.out().contains("\"state\" : \"running\""), status.out());
            assertFalse(run.isDone(), "a halted guest is not a finished run");

            asked = System.nanoTime();
            CliHarness shutdown = CliHarness.run("ctl", "--api-socket", sock.toString(), "shutdown", "--force");
            assertEquals(0, shutdown.exitCode(), shutdown.err());
            VmOutcome outcome = run.get(TestTime.seconds(10).toMillis(), TimeUnit.MILLISECONDS);
            long shutdownMillis = (System.nanoTime() - asked) / 1_000_000;
            System.out.printf("cli; hlt: ctl status answered in %d ms, shutdown ended the run in %d ms%n",
                    statusMillis, shutdownMillis);
            assertInstanceOf(VmOutcome.PoweredOff.class, outcome, () -> "got " + outcome);
            assertTrue(shutdownMillis < TestTime.millis(5_000).toMillis(),
                    "shutdown ends a halted VM promptly: " + shutdownMillis + " ms");
            assertEquals("H", ChipsetGuests.read(debugcon()), "nothing woke the CPU");
        }
    }

    @Test
    void unclaimedMmioStormReadsAllOnesAndTheRunCompletes() throws Exception {
        VmHarness.kvm();
        long start = System.nanoTime();
        VmOutcome outcome;
        try (LaunchedVm vm = launch("mmio_storm", ResetPolicy.EXIT)) {
            // Tracing is on, so every access goes through the board's rate-limited log path.
            assertTrue(vm.chipset().board().traceUnknownMmio(), "unclaimed MMIO is traced by default");
            outcome = VmHarness.runToEnd(vm, TestTime.seconds(30)); // 1.2 s natively, 16 s in L1
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        String text = ChipsetGuests.read(debugcon());
        System.out.printf("MMIO storm: 200000 unclaimed accesses in %d ms (%.1f us each)%n", millis,
                millis * 1000.0 / 200_000);
        assertInstanceOf(VmOutcome.PoweredOff.class, outcome, () -> "got " + outcome + "; " + text);
        assertEquals("storm\nstorm ok\n", text, "every read returned all-ones");
    }

    @Test
    void serialFloodWithNobodyReadingIsDroppedAndCounted() throws Exception {
        VmHarness.kvm();
        // serial_flood.S: 1024 bursts of 256 bytes, four times what the TCP backend queues for a
        // client (TcpSerialResolver.CAPACITY, 64 KiB), so a backend that kept output for a client
        // to come would show; each burst costs a round trip through the device thread (about
        // 1.2 ms natively, 20 ms and more in the nested-KVM L1).
        int bursts = 1024;
        long bytes = bursts * 256L;
        VmManifest manifest = ChipsetGuests.defaultWithDebugcon(debugcon())
                .withSerial(Arrays.asList(TcpSerialHandle.resource("127.0.0.1", 0), null, null, null))
                .build();
        Runtime rt = Runtime.getRuntime();
        System.gc();
        long heapBefore = rt.totalMemory() - rt.freeMemory();
        long start = System.nanoTime();
        VmOutcome outcome;
        long dropped;
        long millis;
        try (LaunchedVm vm = VmHarness.launch(manifest, ChipsetGuests.image("serial_flood"), ChipsetGuests.MEMORY, 1,
                ResetPolicy.EXIT)) {
            SerialBackend com1 = vm.chipset().serialBackend("serial-com1").orElseThrow();
            assertFalse(com1.isConnected(), "no client");
            outcome = VmHarness.runToEnd(vm, TestTime.seconds(30));
            millis = (System.nanoTime() - start) / 1_000_000;
            dropped = com1.droppedBytes();
        }
        System.gc();
        long heapAfter = rt.totalMemory() - rt.freeMemory();
        String text = ChipsetGuests.read(debugcon()); // complete once the VM is closed
        assertInstanceOf(VmOutcome.PoweredOff.class, outcome, () -> "got " + outcome + "; " + text);
        assertTrue(text.matches("flood\ndone \\d+\n"), text);
        long lsrReads = Long.parseLong(text.substring("flood\ndone ".length()).trim());
        System.out.printf("serial flood: %d KiB in %d ms (%.0f KiB/s, %.2f ms and %.1f LSR reads per 256-byte "
                + "burst), %d bytes dropped; heap %d -> %d KiB%n", bytes >> 10, millis, (bytes >> 10) * 1000.0 / millis,
                (double) millis / bursts, (double) lsrReads / bursts, dropped, heapBefore >> 10, heapAfter >> 10);
        // Every byte was dropped as it came (none queued for a client that never came).
        assertEquals(bytes, dropped);
    }

    @Test
    void resetStormLeavesTheVmControllable() throws Exception {
        VmHarness.kvm();
        int wanted = 25;
        try (LaunchedVm vm = launch("reset_storm", ResetPolicy.RESTART)) {
            long start = System.nanoTime();
            CompletableFuture<VmOutcome> run = VmHarness.start(vm);
            long deadline = start + TestTime.seconds(30).toNanos();
            while (vm.machine().resets() < wanted && System.nanoTime() < deadline && !run.isDone()) {
                Thread.sleep(10);
            }
            long millis = (System.nanoTime() - start) / 1_000_000;
            Map<String, Object> status = vm.status();
            long stopAsked = System.nanoTime();
            vm.machine().shutdown();
            VmOutcome outcome = run.get(TestTime.seconds(10).toMillis(), TimeUnit.MILLISECONDS);
            long stopMillis = (System.nanoTime() - stopAsked) / 1_000_000;
            int resets = ((Number) status.get("resets")).intValue();
            String text = ChipsetGuests.read(debugcon());
            System.out.printf("reset storm: %d resets in %d ms (%.1f ms each); status %s; shutdown took %d ms%n",
                    resets, millis, (double) millis / Math.max(1, resets), status, stopMillis);
            assertTrue(resets >= wanted, "resets counted through status: " + status);
            assertInstanceOf(VmOutcome.PoweredOff.class, outcome, () -> "got " + outcome);
            assertTrue(stopMillis < TestTime.millis(5_000).toMillis(), "shutdown ends the storm promptly: " + stopMillis + " ms");
            assertFalse(text.contains("X"), "no boot ran past its reset request: " + text);
            assertTrue(ChipsetGuests.count(text, 'R') >= resets, "a boot per reset: " + text.length() + " boots");
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
