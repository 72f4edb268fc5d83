package io.jvmm.hv.kvm;

import static io.jvmm.hv.kvm.KvmTestSupport.GDT;
import static io.jvmm.hv.kvm.KvmTestSupport.LOAD;
import static io.jvmm.hv.kvm.KvmTestSupport.STACK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.hv.CpuBootState;
import io.jvmm.api.hv.IoBus;
import io.jvmm.api.hv.MachineArch;
import io.jvmm.api.hv.Partition;
import io.jvmm.api.hv.PartitionConfig;
import io.jvmm.api.hv.Vcpu;
import io.jvmm.api.hv.VcpuExit;
import io.jvmm.testkit.RequiresKvm;
import io.jvmm.testkit.ScaledTimeout;
import io.jvmm.testkit.TestTime;
import java.lang.management.ManagementFactory;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The PIO exit round trip: a guest doing {@code out} in a loop, timed per exit, and the bytes the
 * vCPU thread allocates over the whole loop (must be none per exit).
 */
@RequiresKvm
class PioExitBenchmarkTest {
    private static final int WARMUP = 50_000;
    private static final int EXITS = 200_000;

    /** Counts port 0x30 writes; kicks its vCPU on the done port. Allocates nothing. */
    private static final class CountingBus implements IoBus {
        private final Vcpu vcpu;
        long writes;

        CountingBus(Vcpu vcpu) {
            this.vcpu = vcpu;
        }

        @Override
        public void pioRead(int port, byte[] data) {}

        @Override
        public void pioWrite(int port, byte[] data) {
            if (port == 0x30) {
                writes++;
            } else if (port == 0xf0) {
                vcpu.kick();
            }
        }

        @Override
        public void mmioRead(long address, byte[] data) {}

        @Override
        public void mmioWrite(long address, byte[] data) {}
    }

    /** One measured run: exits/time and allocation, taken on the vCPU thread itself. */
    private record Sample(VcpuExit exit, long nanos, long allocatedBytes) {}

    private static Sample timedRun(Vcpu vcpu, IoBus bus) throws Exception {
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        CompletableFuture<Sample> result = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            long allocatedBefore = threads.getCurrentThreadAllocatedBytes();
            long start = System.nanoTime();
            VcpuExit exit = vcpu.run(bus);
            long nanos = System.nanoTime() - start;
            long allocated = threads.getCurrentThreadAllocatedBytes() - allocatedBefore;
            result.complete(new Sample(exit, nanos, allocated));
        }, "vcpu-bench");
        thread.setDaemon(true);
        thread.start();
        try {
            return result.get(TestTime.seconds(60).toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            vcpu.kick();
            throw new AssertionError("benchmark guest did not finish in " + TestTime.seconds(60));
        }
    }

    @Test
    @ScaledTimeout(120)
    void pioExitRoundTripAllocatesNothing() throws Exception {
        try (Partition p = new KvmProvider().createPartition(new PartitionConfig(MachineArch.X86_64, 16 << 20, 1))) {
            KvmTestSupport.writeGdt(p.memory(), Segments.CODE32, Segments.TSS32);
            p.memory().write(LOAD, KvmTestSupport.guest("pio32"));
            Vcpu vcpu = p.vcpu(0);

            CountingBus warm = new CountingBus(vcpu);
            vcpu.setBootState(new CpuBootState.X86Protected32(LOAD, STACK, 0, WARMUP, GDT));
            assertInstanceOf(VcpuExit.Kicked.class, timedRun(vcpu, warm).exit());
            assertEquals(WARMUP, warm.writes);

            vcpu.clearKick();
            CountingBus bus = new CountingBus(vcpu);
            vcpu.setBootState(new CpuBootState.X86Protected32(LOAD, STACK, 0, EXITS, GDT));
            Sample sample = timedRun(vcpu, bus);
            assertInstanceOf(VcpuExit.Kicked.class, sample.exit());
            assertEquals(EXITS, bus.writes);
            System.out.printf("PIO exit round trip (Java, JNA direct): %d exits in %.1f ms = %.2f us/exit;"
                            + " vCPU thread allocated %d bytes%n",
                    EXITS, sample.nanos() / 1e6, sample.nanos() / 1e3 / EXITS, sample.allocatedBytes());
            assertTrue(sample.allocatedBytes() < 4096,
                    "the exit loop must not allocate per exit: " + sample.allocatedBytes() + " bytes over " + EXITS);
        }
    }
}
