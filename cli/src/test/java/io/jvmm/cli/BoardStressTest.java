package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.LineInterrupt;
import io.jvmm.api.device.LineInterruptTarget;
import io.jvmm.api.device.PowerAction;
import io.jvmm.api.device.VmClock;
import io.jvmm.api.hv.MachineArch;
import io.jvmm.runtime.board.Board;
import io.jvmm.runtime.board.Chipset;
import io.jvmm.runtime.board.ChipsetBuilder;
import io.jvmm.runtime.board.InterruptLines;
import io.jvmm.runtime.manifest.BaseChipsetType;
import io.jvmm.runtime.manifest.ChipsetDeviceHandle;
import io.jvmm.runtime.manifest.VmManifest;
import io.jvmm.runtime.manifest.VmManifestBuilder;
import io.jvmm.runtime.registry.ResolverRegistry;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The board's concurrency without a hypervisor: threads hammer {@link Board#pioWrite} and
 * {@link LineInterrupt#setLevel} 10^6 times; no update is lost and shared lines end at the OR.
 */
class BoardStressTest {
    private static final int N = 250_000;
    private static final VmClock CLOCK = new VmClock() {
        @Override
        public long nanos() {
            return System.nanoTime();
        }

        @Override
        public Instant wallTime() {
            return Instant.now();
        }
    };

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void twoThreadsOnTheBusLoseNoUpdateAndTheSharedLineEndsAtTheOr() throws Exception {
        CounterDevices.CounterResolver counters = new CounterDevices.CounterResolver();
        CounterDevices.WatchResolver watch = new CounterDevices.WatchResolver();
        ResolverRegistry registry = ResolverRegistry.builder().add(counters).add(watch).build();
        VmManifest base = new VmManifestBuilder(BaseChipsetType.HCL_HOST, MachineArch.X86_64).build();
        List<ChipsetDeviceHandle> devices = new ArrayList<>(base.devices());
        devices.add(new ChipsetDeviceHandle("counter-a", new CounterDevices.CounterHandle(0x500, N, 2).toResource()));
        devices.add(new ChipsetDeviceHandle("counter-b", new CounterDevices.CounterHandle(0x510, N, 0).toResource()));
        devices.add(new ChipsetDeviceHandle("line-watch", new CounterDevices.WatchHandle().toResource()));
        VmManifest manifest = new VmManifest(base.type(), base.arch(), base.chipset(), devices);
        AtomicLong powerOffs = new AtomicLong();
        try (Chipset chipset = new ChipsetBuilder(manifest, registry, Set.of(),
                request -> {
                    if (request.action() == PowerAction.POWER_OFF) {
                        powerOffs.incrementAndGet();
                    }
                }, CLOCK, (vector, high) -> { }).build()) {
            Board board = chipset.board();
            CountDownLatch go = new CountDownLatch(1);
            // Like the guest: N counter writes and N line writes each, final levels A high, B low, then done.
            Thread t0 = hammer(board, go, 0x501, true);
            Thread t1 = hammer(board, go, 0x511, false);
            long start = System.nanoTime();
            go.countDown();
            t0.join();
            t1.join();
            double seconds = (System.nanoTime() - start) / 1e9;
            CounterDevices.Counter a = counters.get("counter-a");
            CounterDevices.Counter b = counters.get("counter-b");
            assertEquals(2L * N, a.count(), "counter writes from both threads");
            assertEquals(N + 1, a.toggles());
            assertEquals(N + 1, b.toggles());
            assertEquals(1, powerOffs.get(), "both threads reported done: one power-off request");
            assertTrue(watch.watch.level(), "A high OR B low = high");
            assertTrue(chipset.lines().lineSet(CounterDevices.LINE_SET).isHigh(0));
            System.out.printf("board stress: %d port writes from 2 threads in %.2f s%n", 4L * N + 4, seconds);
        }
    }

    private static Thread hammer(Board board, CountDownLatch go, int linePort, boolean finalLevel) {
        Thread t = new Thread(() -> {
            byte[] one = {1};
            byte[] zero = {0};
            try {
                go.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            for (int i = 0; i < N; i++) {
                board.pioWrite(0x500, one);
                board.pioWrite(linePort, (i & 1) == 0 ? one : zero);
            }
            board.pioWrite(linePort, finalLevel ? one : zero);
            board.pioWrite(0x502, one);
        }, "hammer-" + Integer.toHexString(linePort));
        t.start();
        return t;
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void fourSourcesTogglingAMillionTimesEndAtTheOrAndTargetsSeeOnlyChanges() throws Exception {
        InterruptLines lines = new InterruptLines();
        LineInterrupt[] sources = new LineInterrupt[4];
        for (int i = 0; i < sources.length; i++) {
            sources[i] = lines.newLine("stress", "source-" + i, 7);
        }
        AlternationWatch watch = new AlternationWatch();
        lines.addTarget("stress", 7, 7, 0, watch, new Object());

        // Round 1: source 2 ends high, the others low. Round 2: all end low.
        toggle(sources, 2);
        assertTrue(watch.level, "one source high: the line is high");
        assertTrue(lines.lineSet("stress").isHigh(7));
        toggle(sources, -1);
        assertFalse(watch.level, "all sources low: the line is low");
        assertFalse(lines.lineSet("stress").isHigh(7));
        assertEquals(0, watch.repeats.get(), "the target was told a level it already had");
        assertTrue(watch.deliveries.get() >= 2, "deliveries: " + watch.deliveries.get());
    }

    /** Each of 4 threads toggles its source N/4 times (10^6 setLevel calls in all), then sets its final level. */
    private static void toggle(LineInterrupt[] sources, int endsHigh) throws InterruptedException {
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < sources.length; i++) {
            LineInterrupt s = sources[i];
            boolean last = i == endsHigh;
            Thread t = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                for (int k = 0; k < 1_000_000 / 4; k++) {
                    s.setLevel((k & 1) == 0);
                }
                s.setLevel(last);
            });
            t.start();
            threads.add(t);
        }
        go.countDown();
        for (Thread t : threads) {
            t.join();
        }
    }

    /** Records levels; consecutive equal levels would mean a redundant or reordered delivery. */
    private static final class AlternationWatch implements LineInterruptTarget {
        final AtomicLong deliveries = new AtomicLong();
        final AtomicLong repeats = new AtomicLong();
        volatile boolean level;

        @Override
        public void setIrq(int vector, boolean high) {
            // Called holding the target lock, so level and the repeat check are consistent.
            deliveries.incrementAndGet();
            if (high == level) {
                repeats.incrementAndGet();
            }
            level = high;
        }
    }
}
