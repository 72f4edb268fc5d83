package io.jvmm.hv.kvm;

import static io.jvmm.hv.kvm.KvmTestSupport.GDT;
import static io.jvmm.hv.kvm.KvmTestSupport.LOAD;
import static io.jvmm.hv.kvm.KvmTestSupport.STACK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.hv.CpuBootState;
import io.jvmm.api.hv.DoorbellSupport;
import io.jvmm.api.hv.MachineArch;
import io.jvmm.api.hv.MmioDoorbell;
import io.jvmm.api.hv.PartitionConfig;
import io.jvmm.api.hv.Vcpu;
import io.jvmm.api.hv.VcpuExit;
import io.jvmm.testkit.RequiresKvm;
import io.jvmm.testkit.ScaledTimeout;
import io.jvmm.testkit.TestTime;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * KVM_IOEVENTFD doorbells with the bell32 guest (src/test/guests): registered writes never reach the
 * vCPU's bus (no MMIO exit) and are counted by the eventfd and handed to the callback on the
 * partition's poller thread; other widths, other values and other addresses still exit; after
 * unregistering, every write exits again.
 */
@ScaledTimeout(60)
@RequiresKvm
class KvmDoorbellTest {
    private static final long NOTIFY = 0xD000_0000L;
    private static final int WRITES = 1000;

    private static KvmPartition partition() throws Exception {
        return (KvmPartition) new KvmProvider().createPartition(new PartitionConfig(MachineArch.X86_64, 16 << 20, 1));
    }

    /** Runs bell32 making {@code writes} 2-byte notify writes; returns the bus that saw the exits. */
    private static TestBus run(KvmPartition p, int writes) throws Exception {
        KvmTestSupport.writeGdt(p.memory(), Segments.CODE32, Segments.TSS32);
        p.memory().write(LOAD, KvmTestSupport.guest("bell32"));
        Vcpu vcpu = p.vcpu(0);
        vcpu.setBootState(new CpuBootState.X86Protected32(LOAD, STACK, 0, writes, GDT));
        TestBus bus = new TestBus().kicking(vcpu);
        vcpu.clearKick(); // the kick that ended a previous run
        VcpuExit exit = KvmTestSupport.runWithTimeout(vcpu, bus, TestTime.seconds(20));
        assertInstanceOf(VcpuExit.Kicked.class, exit);
        assertTrue(bus.done, "the guest finished");
        return bus;
    }

    private static void awaitRings(DoorbellSupport.Registration r, long expected) throws InterruptedException {
        long deadline = System.nanoTime() + TestTime.seconds(10).toNanos();
        while (r.rings() < expected && System.nanoTime() < deadline) {
            Thread.sleep(5); // polling a counter the poller thread advances, with a deadline
        }
    }

    @Test
    void registeredWritesAreAbsorbedByKvmAndRingOnThePollerThread() throws Exception {
        try (KvmPartition p = partition()) {
            DoorbellSupport doorbells = p.doorbells().orElseThrow(() -> new AssertionError("KVM_CAP_IOEVENTFD missing"));
            AtomicInteger callbacks = new AtomicInteger();
            AtomicInteger valueCallbacks = new AtomicInteger();
            String[] thread = new String[1];
            DoorbellSupport.Registration notify = doorbells.register(new MmioDoorbell(NOTIFY, 2, OptionalLong.empty()),
                    () -> {
                        thread[0] = Thread.currentThread().getName();
                        callbacks.incrementAndGet();
                    });
            DoorbellSupport.Registration seven = doorbells.register(new MmioDoorbell(NOTIFY + 8, 4, OptionalLong.of(7)),
                    valueCallbacks::incrementAndGet);

            TestBus bus = run(p, WRITES);

            assertEquals(List.of(new TestBus.Access(NOTIFY, 1, 0x55), new TestBus.Access(NOTIFY + 4, 2, 0x1234),
                    new TestBus.Access(NOTIFY + 8, 4, 8)), bus.mmioWrites,
                    "none of the " + WRITES + " 2-byte notify writes and not the write of 7 exited; the others did");
            awaitRings(notify, WRITES);
            awaitRings(seven, 1);
            assertEquals(WRITES, notify.rings(), "the eventfd counted every absorbed write");
            assertEquals(1, seven.rings(), "the datamatch doorbell rang for 7 only");
            assertTrue(callbacks.get() >= 1 && callbacks.get() <= WRITES, "callbacks " + callbacks.get());
            assertEquals(1, valueCallbacks.get());
            assertTrue(thread[0].endsWith("-doorbells"), "rung on the poller thread, not the vCPU: " + thread[0]);
            System.out.printf("KVM doorbell: %d guest writes absorbed, %d callbacks, 0 MMIO exits for them%n",
                    notify.rings(), callbacks.get());
        }
    }

    @Test
    void thePollerAllocatesNothingPerRing() throws Exception {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        org.junit.jupiter.api.Assumptions.assumeTrue(mx instanceof com.sun.management.ThreadMXBean hot
                && hot.isThreadAllocatedMemorySupported(), "this JVM cannot count a thread's allocations");
        com.sun.management.ThreadMXBean hot = (com.sun.management.ThreadMXBean) mx;
        try (KvmPartition p = partition()) {
            AtomicInteger callbacks = new AtomicInteger();
            DoorbellSupport.Registration notify = p.doorbells().orElseThrow()
                    .register(new MmioDoorbell(NOTIFY, 2, OptionalLong.empty()), callbacks::incrementAndGet);
            run(p, WRITES); // warm-up: classes load, the poller's loop compiles
            awaitRings(notify, WRITES);
            Thread poller = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().endsWith("-doorbells") && t.isAlive()).findFirst().orElseThrow();
            long before = hot.getThreadAllocatedBytes(poller.getId());
            int callbacksBefore = callbacks.get();
            run(p, WRITES);
            awaitRings(notify, 2L * WRITES);
            long allocated = hot.getThreadAllocatedBytes(poller.getId()) - before;
            assertEquals(2L * WRITES, notify.rings());
            assertTrue(callbacks.get() > callbacksBefore, "it rang again");
            assertEquals(0, allocated, "the poller allocated " + allocated + " bytes for "
                    + (callbacks.get() - callbacksBefore) + " rings");
        }
    }

    @Test
    void withoutARegistrationOrAfterClosingItEveryWriteExits() throws Exception {
        try (KvmPartition p = partition()) {
            DoorbellSupport doorbells = p.doorbells().orElseThrow();
            AtomicInteger callbacks = new AtomicInteger();
            DoorbellSupport.Registration r = doorbells.register(new MmioDoorbell(NOTIFY, 2, OptionalLong.empty()),
                    callbacks::incrementAndGet);
            r.close();
            r.close(); // idempotent
            TestBus bus = run(p, 50);
            assertEquals(50 + 4, bus.mmioWrites.size(), "every write exited to the bus");
            assertEquals(new TestBus.Access(NOTIFY, 2, 0), bus.mmioWrites.get(0));
            assertEquals(0, r.rings());
            assertEquals(0, callbacks.get());
        }
    }

    @Test
    void theSameDoorbellTwiceIsRefusedAndClosingThePartitionEndsThePoller() throws Exception {
        KvmPartition p = partition();
        DoorbellSupport doorbells = p.doorbells().orElseThrow();
        MmioDoorbell bell = new MmioDoorbell(NOTIFY, 2, OptionalLong.empty());
        doorbells.register(bell, () -> { });
        try {
            doorbells.register(bell, () -> { });
            throw new AssertionError("KVM accepted the same doorbell twice");
        } catch (io.jvmm.api.hv.HypervisorException e) {
            assertTrue(e.getMessage().contains("KVM_IOEVENTFD"), e.getMessage());
        }
        assertTrue(doorbells.register(new MmioDoorbell(NOTIFY, 4, OptionalLong.empty()), () -> { }).rings() == 0,
                "another width at the same address is another doorbell");
        KvmDoorbells impl = (KvmDoorbells) doorbells;
        p.close();
        impl.awaitPollerEnd(TestTime.seconds(10).toMillis());
        assertFalse(Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().endsWith("-doorbells")
                && t.isAlive()), "the poller thread ended");
    }
}
