package io.jvmm.runtime.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.LineInterruptTarget;
import io.jvmm.api.device.PowerAction;
import io.jvmm.api.hv.CpuBootState;
import io.jvmm.api.hv.GuestMemory;
import io.jvmm.api.hv.IoBus;
import io.jvmm.api.hv.MachineArch;
import io.jvmm.api.hv.Partition;
import io.jvmm.api.hv.PartitionConfig;
import io.jvmm.api.hv.Vcpu;
import io.jvmm.api.hv.VcpuExit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(120)
class VirtualMachineTest {
    /** A vCPU that runs a script: each run() takes the next step, or blocks until kicked. */
    static final class ScriptedVcpu implements Vcpu {
        final int index;
        final BlockingQueue<Function<IoBus, VcpuExit>> steps = new LinkedBlockingQueue<>();
        final List<CpuBootState> bootStates = new ArrayList<>();
        final AtomicInteger runs = new AtomicInteger();
        volatile boolean kicked;
        volatile boolean inGuest;

        ScriptedVcpu(int index) {
            this.index = index;
        }

        @Override
        public int index() {
            return index;
        }

        @Override
        public synchronized void setBootState(CpuBootState state) {
            bootStates.add(state);
        }

        @Override
        public VcpuExit run(IoBus bus) {
            runs.incrementAndGet();
            inGuest = true;
            try {
                while (true) {
                    if (kicked) {
                        return new VcpuExit.Kicked();
                    }
                    Function<IoBus, VcpuExit> step;
                    try {
                        step = steps.poll(2, TimeUnit.MILLISECONDS);
                    } catch (InterruptedException e) {
                        return new VcpuExit.Kicked();
                    }
                    if (step != null) {
                        VcpuExit exit = step.apply(bus);
                        if (exit != null) {
                            return exit;
                        }
                    }
                }
            } finally {
                inGuest = false;
            }
        }

        @Override
        public void kick() {
            kicked = true;
        }

        @Override
        public void clearKick() {
            kicked = false;
        }
    }

    static final class FakeMemory implements GuestMemory {
        final AtomicInteger clears = new AtomicInteger();

        @Override
        public long size() {
            return 1 << 20;
        }

        @Override
        public boolean isRam(long gpa, long length) {
            return true;
        }

        @Override
        public void write(long gpa, byte[] source, int offset, int length) {}

        @Override
        public void read(long gpa, byte[] target, int offset, int length) {}

        @Override
        public void clear() {
            clears.incrementAndGet();
        }
    }

    static final class FakePartition implements Partition {
        final ScriptedVcpu[] vcpus;
        final FakeMemory memory = new FakeMemory();
        final AtomicInteger chipsetResets = new AtomicInteger();
        final PartitionConfig config;

        FakePartition(int n) {
            config = new PartitionConfig(MachineArch.X86_64, 1 << 20, n);
            vcpus = new ScriptedVcpu[n];
            for (int i = 0; i < n; i++) {
                vcpus[i] = new ScriptedVcpu(i);
            }
        }

        @Override
        public PartitionConfig config() {
            return config;
        }

        @Override
        public GuestMemory memory() {
            return memory;
        }

        @Override
        public LineInterruptTarget irqLines() {
            return (v, h) -> {};
        }

        @Override
        public Vcpu vcpu(int index) {
            return vcpus[index];
        }

        @Override
        public void resetChipset() {
            chipsetResets.incrementAndGet();
        }

        @Override
        public void close() {}
    }

    static final class CountingChipset implements ChipsetControl {
        final List<String> calls = new ArrayList<>();

        @Override
        public synchronized void start() {
            calls.add("start");
        }

        @Override
        public synchronized void stop() {
            calls.add("stop");
        }

        @Override
        public synchronized void reset() {
            calls.add("reset");
        }
    }

    private static final IoBus NO_BUS = new IoBus() {
        @Override
        public void pioRead(int port, byte[] data) {}

        @Override
        public void pioWrite(int port, byte[] data) {}

        @Override
        public void mmioRead(long address, byte[] data) {}

        @Override
        public void mmioWrite(long address, byte[] data) {}
    };

    private final FakePartition partition = new FakePartition(2);
    private final CountingChipset chipset = new CountingChipset();
    private final AtomicInteger loads = new AtomicInteger();
    private final CpuBootState boot = new CpuBootState.X86Protected32(0x1000, 0x8000, 0, 0, 0x500);

    private VirtualMachine vm(ResetPolicy policy) {
        return new VirtualMachine(partition, NO_BUS, chipset, p -> {
            loads.incrementAndGet();
            return boot;
        }, policy);
    }

    private static CompletableFuture<VmOutcome> start(VirtualMachine vm) {
        return CompletableFuture.supplyAsync(vm::run);
    }

    /** Waits (by the clock, not by iterations: sleeps stretch on a loaded machine) until {@code done}. */
    private static void await(java.util.function.BooleanSupplier done) throws InterruptedException {
        long end = System.nanoTime() + java.time.Duration.ofSeconds(30).toNanos();
        while (!done.getAsBoolean() && System.nanoTime() < end) {
            Thread.sleep(2);
        }
    }

    private static void awaitState(VirtualMachine vm, VmState s) throws InterruptedException {
        await(() -> vm.state() == s);
        assertEquals(s, vm.state());
    }

    @Test
    void devicePowerOffEndsTheRunWithExitCodeZero() throws Exception {
        VirtualMachine vm = vm(ResetPolicy.RESTART);
        partition.vcpus[0].steps.add(bus -> {
            vm.requestPower(PowerAction.POWER_OFF, "pm");
            return null;
        });
        VmOutcome out = start(vm).get(10, TimeUnit.SECONDS);
        assertEquals(new VmOutcome.PoweredOff("pm powered the VM off"), out);
        assertEquals(0, out.exitCode());
        assertEquals(VmState.SHUT_DOWN, vm.state());
        assertEquals(List.of(boot), partition.vcpus[0].bootStates);
        assertEquals(List.of("start", "stop"), chipset.calls);
    }

    @Test
    void tripleFaultResetsDevicesReloadsMemoryAndRunsAgain() throws Exception {
        VirtualMachine vm = vm(ResetPolicy.RESTART);
        partition.vcpus[0].steps.add(bus -> new VcpuExit.Shutdown(0xfff0));
        CompletableFuture<VmOutcome> run = start(vm);
        await(() -> vm.resets() > 0);
        assertEquals(1, vm.resets());
        assertEquals(2, loads.get());
        assertEquals(1, partition.memory.clears.get());
        assertEquals(1, partition.chipsetResets.get());
        assertEquals(List.of(boot, boot), partition.vcpus[0].bootStates);
        assertEquals(List.of(CpuBootState.APPLICATION_PROCESSOR), partition.vcpus[1].bootStates);
        assertEquals(List.of("start", "stop", "reset", "start"), chipset.calls);
        vm.shutdown();
        assertInstanceOf(VmOutcome.PoweredOff.class, run.get(10, TimeUnit.SECONDS));
    }

    @Test
    void resetWithExitPolicyEndsTheRun() throws Exception {
        VirtualMachine vm = vm(ResetPolicy.EXIT);
        AtomicInteger afterReset = new AtomicInteger();
        partition.vcpus[0].steps.add(bus -> {
            vm.requestPower(PowerAction.RESET, "i8042");
            return null;
        });
        // the guest must not run past its own reset request
        partition.vcpus[0].steps.add(bus -> {
            afterReset.incrementAndGet();
            return null;
        });
        VmOutcome out = start(vm).get(10, TimeUnit.SECONDS);
        assertEquals(new VmOutcome.ResetExit("i8042 reset the VM"), out);
        assertEquals(0, out.exitCode());
        assertEquals(0, afterReset.get());
    }

    @Test
    void emulationFailureEndsTheRunWithRipAndBytes() throws Exception {
        VirtualMachine vm = vm(ResetPolicy.RESTART);
        partition.vcpus[1].steps.add(bus -> new VcpuExit.Failed("emulation failure", 0x1234,
                new byte[] {(byte) 0xf0, 0x48, 0x0f, (byte) 0xc7}));
        VmOutcome out = start(vm).get(10, TimeUnit.SECONDS);
        assertEquals(new VmOutcome.Failed(
                "vCPU 1 stopped: emulation failure at RIP 0x1234 (instruction bytes f0 48 0f c7)"), out);
        assertEquals(1, out.exitCode());
    }

    @Test
    void pauseKeepsVcpusOutOfTheGuestUntilResume() throws Exception {
        VirtualMachine vm = vm(ResetPolicy.RESTART);
        CompletableFuture<VmOutcome> run = start(vm);
        awaitState(vm, VmState.RUNNING);
        vm.pause();
        awaitState(vm, VmState.PAUSED);
        Thread.sleep(50);
        int runs = partition.vcpus[0].runs.get();
        Thread.sleep(100);
        assertEquals(runs, partition.vcpus[0].runs.get(), "a paused vCPU must not re-enter the guest");
        assertTrue(!partition.vcpus[0].inGuest && !partition.vcpus[1].inGuest);
        vm.resume();
        awaitState(vm, VmState.RUNNING);
        await(() -> partition.vcpus[0].inGuest);
        assertTrue(partition.vcpus[0].inGuest, "resumed vCPU runs again");
        vm.shutdown();
        assertInstanceOf(VmOutcome.PoweredOff.class, run.get(10, TimeUnit.SECONDS));
        assertEquals(List.of("start", "stop", "start", "stop"), chipset.calls);
    }

    @Test
    void payloadFailureIsAFailedOutcome() {
        VirtualMachine vm = new VirtualMachine(partition, NO_BUS, chipset, p -> {
            throw new IllegalArgumentException("initrd does not fit");
        }, ResetPolicy.RESTART);
        assertEquals(new VmOutcome.Failed("could not load the guest payload: initrd does not fit"), vm.run());
    }
}
