package io.jvmm.hv.kvm;

import static io.jvmm.hv.kvm.KvmTestSupport.GDT;
import static io.jvmm.hv.kvm.KvmTestSupport.LOAD;
import static io.jvmm.hv.kvm.KvmTestSupport.STACK;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.SavedStateBlob;
import io.jvmm.api.hv.CpuBootState;
import io.jvmm.api.hv.MachineArch;
import io.jvmm.api.hv.Partition;
import io.jvmm.api.hv.PartitionConfig;
import io.jvmm.api.hv.Vcpu;
import io.jvmm.api.hv.VcpuExit;
import io.jvmm.testkit.RequiresKvm;
import io.jvmm.testkit.ScaledTimeout;
import io.jvmm.testkit.TestTime;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongPredicate;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Snapshot and restore on real KVM: the snap32 guest (src/test/guests/snap32.S) counts in a
 * register, in memory, in XMM0 and in YMM2's upper half and takes PIT and LAPIC timer interrupts
 * on partition A; A's partition state, vCPU state and RAM image are saved and A is closed; a new
 * partition B maps the image copy-on-write, takes the states, and the guest goes on: the counts
 * continue from the saved value and still agree (the guest checks that itself on every loop), and
 * both timers keep ticking, which they could not unless the PIC, PIT and LAPIC came back programmed.
 */
@ScaledTimeout(120)
@RequiresKvm
class KvmSnapshotTest {
    private static final long MIB = 1 << 20;
    private static final long RAM = 128 * MIB;
    private static final long COUNT = 0x2000;
    private static final long PIT_TICKS = 0x2004;
    private static final long APIC_TICKS = 0x2008;

    @TempDir
    Path dir;

    private static long dword(Partition p, long gpa) {
        return TestBus.value(p.memory().read(gpa, 4));
    }

    /** Polls guest memory (the guest writes it all the time) until {@code ok}; fails after 30 s (scaled). */
    private static void await(Partition p, long gpa, LongPredicate ok, String what) throws InterruptedException {
        long end = System.nanoTime() + TestTime.seconds(30).toNanos();
        while (!ok.test(dword(p, gpa))) {
            assertTrue(System.nanoTime() - end < 0, () -> what + " (count " + dword(p, COUNT) + ", PIT ticks "
                    + dword(p, PIT_TICKS) + ", LAPIC timer ticks " + dword(p, APIC_TICKS) + ")");
            Thread.sleep(5); // polls guest memory; nothing is assumed after it
        }
    }

    private static VcpuExit park(Vcpu vcpu, CompletableFuture<VcpuExit> run) throws Exception {
        vcpu.kick();
        return run.get(TestTime.seconds(10).toMillis(), TimeUnit.MILLISECONDS);
    }

    @Test
    void aGuestSavedOnOnePartitionContinuesExactlyOnAnother() throws Exception {
        // kvm_pvm (whose guests must be PVM kernels) fails to emulate snap32's SSE and the IRET
        // after an APIC EOI ("KVM could not emulate an instruction"); ci/nested-kvm runs it on real KVM
        Assumptions.assumeFalse(Files.exists(Path.of("/sys/module/kvm_pvm")),
                "/dev/kvm here is kvm_pvm, which cannot run snap32: run ci/nested-kvm/kvm-tests.sh");
        PartitionConfig config = new PartitionConfig(MachineArch.X86_64, RAM, 1);
        Path image = dir.resolve("ram.img");
        SavedStateBlob partitionState;
        SavedStateBlob vcpuState;
        long savedCount;
        long savedRsi;
        long savedPit;
        long savedApic;
        byte[] savedRegs;
        boolean avx;
        try (Partition a = new KvmProvider().createPartition(config)) {
            KvmTestSupport.writeGdt(a.memory(), Segments.CODE32, Segments.TSS32);
            a.memory().write(LOAD, KvmTestSupport.guest("snap32"));
            Vcpu vcpu = a.vcpu(0);
            vcpu.setBootState(new CpuBootState.X86Protected32(LOAD, STACK, 0, 0, GDT));
            TestBus bus = new TestBus().kicking(vcpu);
            CompletableFuture<VcpuExit> run = KvmTestSupport.start(vcpu, bus);
            if (!bus.ready.await(TestTime.seconds(10).toMillis(), TimeUnit.MILLISECONDS)) {
                VcpuExit exit = park(vcpu, run);
                throw new AssertionError("snap32 did not get through its set-up: " + exit + "\n"
                        + ((KvmVcpu) vcpu).describeState());
            }
            avx = bus.reported31 == 1;
            await(a, PIT_TICKS, v -> v >= 5, "PIT ticks on A");
            await(a, APIC_TICKS, v -> v >= 5, "LAPIC timer ticks on A");
            await(a, COUNT, v -> v > 100_000, "the count on A");
            assertInstanceOf(VcpuExit.Kicked.class, park(vcpu, run));
            assertEquals(-1, bus.reportedF3, "snap32 found its counts disagreeing on A");

            long clockBefore = ((KvmPartition) a).clockNanos();
            partitionState = a.saveState();
            vcpuState = vcpu.saveState();
            try (FileChannel out = FileChannel.open(image, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                a.memory().saveImage(out);
            }
            savedCount = dword(a, COUNT);
            savedPit = dword(a, PIT_TICKS);
            savedApic = dword(a, APIC_TICKS);
            savedRegs = KvmPartition.bytes(((KvmVcpu) vcpu).registers());
            savedRsi = ByteBuffer.wrap(savedRegs).order(ByteOrder.nativeOrder()).getLong(Kvm.REGS_RSI);
            assertTrue(savedRsi == savedCount || savedRsi == savedCount + 1, "ESI " + savedRsi + ", count " + savedCount);
            long savedClock = KvmPartitionState.fromBlob(partitionState).clockNanos();
            assertTrue(savedClock >= clockBefore, "the saved kvmclock is the clock at saving");
            KvmVcpuState s = KvmVcpuState.fromBlob(vcpuState);
            int[] msrs = s.msrIndices();
            System.out.printf("A: count %d, PIT %d, LAPIC %d ticks, count in YMM2 too (AVX): %s; vCPU state %s with %d MSRs, XSAVE %d bytes,"
                    + " TSC %d kHz; partition state %s; kvmclock %d ns%n", savedCount, savedPit, savedApic, avx,
                    vcpuState, msrs.length, s.xsave().length, s.tscKhz(), partitionState, savedClock);
            // what a Linux guest relies on: kvmclock, async PF, steal time, PV EOI, the TSC and its deadline, PAT
            for (int msr : new int[] {0x10, 0x277, 0x6e0, 0x4b564d00, 0x4b564d01, 0x4b564d02, 0x4b564d03, 0x4b564d04,
                0xc0000081, 0xc0000082, 0xc0000084}) {
                assertTrue(Arrays.stream(msrs).anyMatch(i -> i == msr), "MSR 0x" + Integer.toHexString(msr) + " saved");
            }
        }
        assertEquals(RAM, Files.size(image));

        // the gap between the VMs: the guest's clock must not count it
        Thread.sleep(1000);

        try (Partition b = new KvmProvider().createPartition(config.withMemoryImage(image))) {
            KvmGuestMemory memory = (KvmGuestMemory) b.memory();
            assertTrue(memory.mappedFromImage());
            long rssAtRestore = residentKib(memory.hostBase(), RAM);
            long savedClock = KvmPartitionState.fromBlob(partitionState).clockNanos();
            b.restoreState(partitionState);
            long clockAfter = ((KvmPartition) b).clockNanos();
            assertTrue(clockAfter >= savedClock && clockAfter - savedClock < 500_000_000L,
                    "kvmclock continues from the saved " + savedClock + " ns, not counting the second between the VMs: "
                            + clockAfter);
            Vcpu vcpu = b.vcpu(0);
            vcpu.restoreState(vcpuState);

            assertArrayEquals(savedRegs, KvmPartition.bytes(((KvmVcpu) vcpu).registers()), "registers restored");
            KvmVcpuState again = KvmVcpuState.fromBlob(vcpu.saveState());
            KvmVcpuState saved = KvmVcpuState.fromBlob(vcpuState);
            assertArrayEquals(Arrays.copyOfRange(saved.xsave(), 160, 416), Arrays.copyOfRange(again.xsave(), 160, 416),
                    "XMM0-15 restored");
            assertArrayEquals(saved.xcrs(), again.xcrs(), "XCR0 restored");
            assertArrayEquals(saved.cpuid(), again.cpuid(), "CPUID restored");
            assertEquals(savedCount, dword(b, COUNT), "RAM comes from the image");
            assertEquals(savedPit, dword(b, PIT_TICKS));
            System.out.printf("B: resident guest RAM right after mapping the image: %d KiB of %d MiB%n",
                    rssAtRestore, RAM >> 20);
            assertTrue(rssAtRestore >= 0 && rssAtRestore < 1024, "restore reads no RAM eagerly: " + rssAtRestore + " KiB");

            TestBus bus = new TestBus().kicking(vcpu);
            CompletableFuture<VcpuExit> run = KvmTestSupport.start(vcpu, bus);
            await(b, COUNT, v -> v > savedCount + 100_000, "the count goes on on B");
            await(b, PIT_TICKS, v -> v >= savedPit + 5, "PIT ticks go on on B");
            await(b, APIC_TICKS, v -> v >= savedApic + 5, "LAPIC timer ticks go on on B");
            long rssRunning = residentKib(memory.hostBase(), RAM);
            assertInstanceOf(VcpuExit.Kicked.class, park(vcpu, run));
            assertEquals(-1, bus.reportedF3, "snap32 found its counts disagreeing after the restore (1: memory, 2: XMM0,"
                    + " 3: YMM2)");
            assertEquals(List.of(), bus.pioWrites, "no other port written: the guest did not start over");
            long rsi = ByteBuffer.wrap(KvmPartition.bytes(((KvmVcpu) vcpu).registers())).order(ByteOrder.nativeOrder())
                    .getLong(Kvm.REGS_RSI);
            long count = dword(b, COUNT);
            assertTrue(rsi == count || rsi == count + 1, "ESI " + rsi + ", count " + count);
            System.out.printf("B: count %d -> %d, PIT %d -> %d, LAPIC %d -> %d; resident guest RAM while running: %d KiB%n",
                    savedCount, count, savedPit, dword(b, PIT_TICKS), savedApic, dword(b, APIC_TICKS), rssRunning);
            assertTrue(rssRunning >= 0 && rssRunning < 4096,
                    "only the pages the guest touched are resident: " + rssRunning + " KiB");

            // restoring the state into a partition's wrong vCPU or with a damaged blob is refused
            byte[] data = vcpuState.data();
            assertThrows(IllegalArgumentException.class, () -> vcpu.restoreState(
                    new SavedStateBlob(vcpuState.format(), vcpuState.version(), Arrays.copyOf(data, data.length - 3))));
        }
    }

    @Test
    void aSnapshotOfTheWrongVcpuIsRefusedAndLeavesTheVcpuAsItWas() throws Exception {
        try (Partition p = new KvmProvider().createPartition(new PartitionConfig(MachineArch.X86_64, 16 * MIB, 2))) {
            SavedStateBlob first = p.vcpu(0).saveState();
            byte[] regsBefore = KvmPartition.bytes(((KvmVcpu) p.vcpu(1)).registers());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.vcpu(1).restoreState(first));
            assertTrue(e.getMessage().contains("saved state of vCPU 0 given to vCPU 1"), e.getMessage());
            assertArrayEquals(regsBefore, KvmPartition.bytes(((KvmVcpu) p.vcpu(1)).registers()));
            p.vcpu(0).restoreState(first); // and its own vCPU takes it
            e = assertThrows(IllegalArgumentException.class, () -> p.restoreState(first));
            assertTrue(e.getMessage().contains("where 'kvm.x86.partition' is needed"), e.getMessage());
        }
    }

    /**
     * Resident KiB of the process's mappings inside [base, base + length): the smaps Rss of each,
     * which counts pages mapped into this process (for a file mapping, not the page cache at large).
     * -1 when /proc/self/smaps cannot be read.
     */
    static long residentKib(long base, long length) {
        List<String> lines;
        try {
            lines = Files.readAllLines(Path.of("/proc/self/smaps"));
        } catch (IOException e) {
            return -1;
        }
        long total = 0;
        boolean inside = false;
        for (String line : lines) {
            int dash = line.indexOf('-');
            int space = line.indexOf(' ');
            if (dash > 0 && space > dash && line.substring(0, dash).matches("[0-9a-f]+")) {
                long start = Long.parseUnsignedLong(line.substring(0, dash), 16);
                long end = Long.parseUnsignedLong(line.substring(dash + 1, space), 16);
                inside = start >= base && end <= base + length;
            } else if (inside && line.startsWith("Rss:")) {
                total += Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return total;
    }
}
