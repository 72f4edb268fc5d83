package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.runtime.vm.LaunchedVm;
import io.jvmm.runtime.vm.ResetPolicy;
import io.jvmm.runtime.vm.VmOutcome;
import io.jvmm.testkit.RequiresKvm;
import io.jvmm.testkit.ScaledTimeout;
import io.jvmm.testkit.TestTime;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The emulated 16550 through the whole board and real KVM: polled output (serial_poll.S) and
 * output driven by the THR-empty interrupt through the in-kernel 8259 (serial_irq.S).
 */
@ScaledTimeout(120)
@RequiresKvm
class Serial16550KvmTest {
    private static final long MEMORY = 32L << 20;
    private static final Duration RUN_LIMIT = TestTime.seconds(90);
    /** serial_poll.S's PM timer rate. */
    private static final double PM_TIMER_HZ = 3_579_545.0;
    /** serial_poll.S's SCR_READS. */
    private static final int SCRATCH_READS = 20_000;
    private static final Pattern POLL_REPORT =
            Pattern.compile("ticks=([0-9a-f]{8}) lsr=([0-9a-f]{8}) scr=([0-9a-f]{8})\n");
    private static final Pattern IRQ_REPORT = Pattern.compile("irqs=([0-9a-f]{4}) other=([0-9a-f]{4})\n");

    /** What serial_poll.S sends: line k, column j holds ' ' + (k + j) mod 95; then the marker line. */
    static byte[] pollPattern() {
        StringBuilder s = new StringBuilder();
        for (int k = 0; k < 64; k++) {
            for (int j = 0; j < 63; j++) {
                s.append((char) (' ' + (k + j) % 95));
            }
            s.append('\n');
        }
        s.append("serial_poll: done\n");
        return s.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** serial_irq.S's message. */
    static final String IRQ_MESSAGE =
            "serial_irq: every byte of this text left the guest from the 16550 THR-empty\n"
            + "interrupt handler: IRQ4 -> in-kernel 8259 -> vector 0x24 -> IIR 0xC2 -> THR.\n"
            + "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ\n"
            + "serial_irq: done\n";

    @Test
    void polledOutputArrivesCompleteAndInOrderThenThePmPowersOff(@TempDir Path dir) throws Exception {
        VmHarness.kvm();
        String report = runPolled(dir, 1);
        Matcher m = POLL_REPORT.matcher(report);
        assertTrue(m.matches(), "the guest's measurement line on 0xE9: " + report);
        long ticks = Long.parseLong(m.group(1), 16);
        long lsrReads = Long.parseLong(m.group(2), 16);
        long scratchTicks = Long.parseLong(m.group(3), 16);
        int bytes = pollPattern().length;
        // every byte needed an LSR read that said THR empty, and the text took measurable time
        assertTrue(lsrReads >= bytes, "LSR reads " + lsrReads + " < bytes " + bytes);
        assertTrue(ticks > 0 && scratchTicks > 0, report);

        double sendMicros = ticks / PM_TIMER_HZ * 1e6;
        long exits = lsrReads + bytes;
        double scratchMicros = scratchTicks / PM_TIMER_HZ * 1e6;
        System.out.printf("serial_poll through the board: %d bytes in %.1f ms = %.0f bytes/s; %.2f LSR reads/byte, "
                        + "%d PIO exits = %.2f us/exit (incl. waiting for the device thread to drain THR)%n",
                bytes, sendMicros / 1000, bytes / (sendMicros / 1e6), (double) lsrReads / bytes, exits,
                sendMicros / exits);
        System.out.printf("scratch-register reads through the board: %d exits in %.1f ms = %.2f us/exit%n",
                SCRATCH_READS, scratchMicros / 1000, scratchMicros / SCRATCH_READS);
    }

    @Test
    void polledOutputWithTwoVcpusTheApWaitingForSipi(@TempDir Path dir) throws Exception {
        VmHarness.kvm();
        assertTrue(POLL_REPORT.matcher(runPolled(dir, 2)).matches());
    }

    /** Runs serial_poll on {@code vcpus} vCPUs, checks COM1's bytes; returns the 0xE9 report. */
    private static String runPolled(Path dir, int vcpus) throws Exception {
        Path com1 = dir.resolve("com1.out");
        Path debugcon = dir.resolve("debugcon.out");
        VmOutcome outcome;
        long start = System.nanoTime();
        try (LaunchedVm vm = VmHarness.launch(TestGuests.defaultChipset(com1, debugcon),
                TestGuests.firmware("serial_poll"), MEMORY, vcpus, ResetPolicy.EXIT)) {
            outcome = VmHarness.runToEnd(vm, RUN_LIMIT);
        }
        long wallMillis = (System.nanoTime() - start) / 1_000_000;
        String report = Files.readString(debugcon, StandardCharsets.US_ASCII);
        assertInstanceOf(VmOutcome.PoweredOff.class, outcome, outcome + "; debugcon: " + report);
        byte[] expected = pollPattern();
        byte[] actual = Files.readAllBytes(com1);
        assertEquals(new String(expected, StandardCharsets.ISO_8859_1), new String(actual, StandardCharsets.ISO_8859_1),
                "COM1 carried exactly the guest's bytes: none lost, none extra");
        System.out.printf("serial_poll, %d vCPU(s): build, boot, %d bytes, power-off in %d ms wall%n", vcpus,
                actual.length, wallMillis);
        return report;
    }

    @Test
    void thrEmptyInterruptsThroughTheInKernelPicCarryTheWholeMessage(@TempDir Path dir) throws Exception {
        VmHarness.kvm();
        Path com1 = dir.resolve("com1.out");
        Path debugcon = dir.resolve("debugcon.out");
        VmOutcome outcome;
        try (LaunchedVm vm = VmHarness.launch(TestGuests.defaultChipset(com1, debugcon),
                TestGuests.firmware("serial_irq"), MEMORY, 1, ResetPolicy.EXIT)) {
            outcome = VmHarness.runToEnd(vm, RUN_LIMIT);
        }
        String report = Files.readString(debugcon, StandardCharsets.US_ASCII);
        String text = Files.readString(com1, StandardCharsets.ISO_8859_1);
        // a wrong IIR in the handler halts the guest (a Failed outcome) after naming it on 0xE9
        assertInstanceOf(VmOutcome.PoweredOff.class, outcome, outcome + "; debugcon: " + report + "; COM1: " + text);
        assertEquals(IRQ_MESSAGE, text);
        Matcher m = IRQ_REPORT.matcher(report);
        assertTrue(m.matches(), "the guest's interrupt counts on 0xE9: " + report);
        // one interrupt when IER enabled THRE, one after each byte drained, the last finding nothing to send
        assertEquals(IRQ_MESSAGE.length() + 1, Integer.parseInt(m.group(1), 16), report);
        assertEquals(0, Integer.parseInt(m.group(2), 16), "no interrupt through any other PIC vector: " + report);
    }
}
