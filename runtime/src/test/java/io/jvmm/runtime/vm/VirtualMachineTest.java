package io.jvmm.runtime.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

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
import io.jvmm.runtime.board.PowerRequest;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
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
        /** One permit per entry into the guest, so a test can wait for "runs (again)" without polling. */
        final Semaphore entries = new Semaphore(0);
        /** The vCPU thread, known from its first run(). */
        volatile Thread thread;
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
            thread = Thread.currentThread();
            runs.incrementAndGet();
            inGuest = true;
            entries.release();
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

    /**
     * Records start/stop/reset. The controller calls stop() only after every vCPU has left the
     * guest, so "stop was called" is the test's signal that a pause or reset has parked the vCPUs.
     */
    static final class CountingChipset implements ChipsetControl {
        final List<String> calls = new ArrayList<>();
        /** Holds reset() (the controller, mid-reset, vCPUs parked) until counted down; open by default. */
        volatile CountDownLatch resetGate = new CountDownLatch(0);
        /** The start() call (1 = the first) that throws, as a device that cannot start makes it; 0: none. */
        volatile int failingStart;
        /** What the failing start() throws; null: an IllegalStateException naming a broken device. */
        volatile Error startError;
        private int starts;

        @Override
        public synchronized void start() {
            record("start");
            if (++starts == failingStart) {
                if (startError != null) {
                    throw startError;
                }
                throw new IllegalStateException("could not start devices: rtc: broken");
            }
        }

        @Override
        public synchronized void stop() {
            record("stop");
        }

        @Override
        public void reset() {
            synchronized (this) {
                record("reset");
            }
            try {
                resetGate.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private void record(String call) {
            calls.add(call);
            notifyAll();
        }

        /** Waits until {@code n} calls were made and returns them. */
        synchronized List<String> awaitCalls(int n) throws InterruptedException {
            while (calls.size() < n) {
                wait();
            }
            return List.copyOf(calls);
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

    /** Waits until the vCPU has entered the guest once more. */
    private static void awaitEntry(ScriptedVcpu vcpu) throws InterruptedException {
        vcpu.entries.acquire();
    }

    /**
     * Waits until every given vCPU thread waits in the VM's park loop at one instant, and returns
     * how often each thread has waited so far.
     *
     * <p>A thread entering {@code Object.wait} signals nothing a test could wait on, so this polls;
     * each poll is a thread dump taken at a safepoint, i.e. one consistent snapshot of all the
     * threads, never a mix of moments. Two parked vCPUs that wake each other are never both
     * waiting in such a snapshot (one of them is always notified, not waiting), so then this fails.
     * The bound only decides how soon; correct code gets there as soon as two threads can call wait().
     */
    private static long[] awaitAllParkedQuietly(ScriptedVcpu... vcpus) {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long[] ids = new long[vcpus.length];
        for (int i = 0; i < vcpus.length; i++) {
            ids[i] = vcpus[i].thread.getId();
        }
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            if (System.nanoTime() > giveUp) {
                fail("the parked vCPU threads never all waited at once (they keep waking each other): "
                        + Arrays.toString(mx.getThreadInfo(ids, 8)));
            }
            ThreadInfo[] infos = mx.getThreadInfo(ids, 8); // with a stack depth: a safepoint snapshot
            long[] waited = new long[ids.length];
            boolean all = true;
            for (int i = 0; i < infos.length; i++) {
                all &= infos[i] != null && infos[i].getThreadState() == Thread.State.WAITING
                        && Arrays.stream(infos[i].getStackTrace()).anyMatch(f -> f.getMethodName().equals("vcpuLoop"));
                waited[i] = infos[i] == null ? -1 : infos[i].getWaitedCount();
            }
            if (all) {
                return waited;
            }
            Thread.yield();
        }
    }

    @Test
    void devicePowerOffEndsTheRunWithExitCodeZero() throws Exception {
        VirtualMachine vm = vm(ResetPolicy.RESTART);
        partition.vcpus[0].steps.add(bus -> {
            vm.requestPower(PowerAction.POWER_OFF, "pm was told to enter S5");
            return null;
        });
        VmOutcome out = start(vm).get(10, TimeUnit.SECONDS);
        assertEquals(new VmOutcome.PoweredOff("pm was told to enter S5"), out);
        assertEquals(0, out.exitCode());
        assertEquals(VmState.SHUT_DOWN, vm.state());
        assertEquals(List.of(boot), partition.vcpus[0].bootStates);
        assertEquals(List.of("start", "stop"), chipset.calls);
    }

    @Test
    void devicesThatCannotStartEndTheRunWithAFailure() throws Exception {
        chipset.failingStart = 1;
        VmOutcome out = start(vm(ResetPolicy.RESTART)).get(10, TimeUnit.SECONDS);
        assertEquals(new VmOutcome.Failed("could not start devices: rtc: broken"), out);
        assertEquals(0, partition.vcpus[0].runs.get(), "no vCPU entered the guest");
        assertEquals(List.of("start", "stop"), chipset.calls);
    }

    /**
     * Devices that do not start again after a reset: the controller fails, and that is the run's
     * outcome; the vCPU threads end too (many VMs in one JVM: nothing of a failed VM is left).
     */
    @Test
    void aControllerThatFailsEndsTheRunAndItsVcpuThreads() throws Exception {
        chipset.failingStart = 2;
        VirtualMachine vm = vm(ResetPolicy.RESTART);
        partition.vcpus[0].steps.add(bus -> new VcpuExit.Shutdown(0xfff0));
        VmOutcome out = start(vm).get(10, TimeUnit.SECONDS);
        assertEquals(new VmOutcome.Failed("the VM's controller failed: could not start devices: rtc: broken"), out);
        assertEquals(VmState.SHUT_DOWN, vm.state());
        for (ScriptedVcpu v : partition.vcpus) {
            Thread t = v.thread;
            if (t != null) {
                t.join(10_000);
                assertFalse(t.isAlive(), "vCPU " + v.index + "'s thread ended");
            }
        }
    }

    @Test
    void tripleFaultResetsDevicesReloadsMemoryAndRunsAgain() throws Exception {
        VirtualMachine vm = vm(ResetPolicy.RESTART);
        CountDownLatch ranAgain = new CountDownLatch(1);
        partition.vcpus[0].steps.add(bus -> new VcpuExit.Shutdown(0xfff0));
        // The vCPU takes this step only once it is back in the guest, i.e. after the reset.
        partition.vcpus[0].steps.add(bus -> {
            ranAgain.countDown();
            return null;
        });
        CompletableFuture<VmOutcome> run = start(vm);
        ranAgain.await();
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

    /**
     * Issue 14, the lost reset: parked vCPUs notified the VM's lock on every wake-up, so two of them
     * woke each other forever and the controller, which needs that lock to finish the reset, could
     * starve (on a loaded machine for minutes). Here the controller is held mid-reset with both
     * vCPUs parked; they must then wait quietly, and the reset must complete.
     */
    @Test
    void vcpusParkedForAResetWaitQuietlyAndTheResetCompletes() throws Exception {
        VirtualMachine vm = vm(ResetPolicy.RESTART);
        chipset.resetGate = new CountDownLatch(1);
        CountDownLatch ranAgain = new CountDownLatch(1);
        // Triple-fault once vCPU 1 has run too, so that both vCPU threads are known and must park.
        partition.vcpus[0].steps.add(bus -> {
            partition.vcpus[1].entries.acquireUninterruptibly();
            return new VcpuExit.Shutdown(0xfff0);
        });
        partition.vcpus[0].steps.add(bus -> {
            ranAgain.countDown();
            return null;
        });
        CompletableFuture<VmOutcome> run = start(vm);
        assertEquals(List.of("start", "stop", "reset"), chipset.awaitCalls(3)); // both vCPUs parked
        assertEquals(VmState.RESET_PENDING, vm.state());
        awaitAllParkedQuietly(partition.vcpus);
        chipset.resetGate.countDown();
        ranAgain.await();
        assertEquals(1, vm.resets());
        vm.shutdown();
        assertInstanceOf(VmOutcome.PoweredOff.class, run.get(10, TimeUnit.SECONDS));
    }

    @Test
    void resetWithExitPolicyEndsTheRun() throws Exception {
        VirtualMachine vm = vm(ResetPolicy.EXIT);
        AtomicInteger afterReset = new AtomicInteger();
        partition.vcpus[0].steps.add(bus -> {
            vm.requestPower(PowerAction.RESET, "i8042 pulsed the reset line (command 0xfe)");
            return null;
        });
        // the guest must not run past its own reset request
        partition.vcpus[0].steps.add(bus -> {
            afterReset.incrementAndGet();
            return null;
        });
        VmOutcome out = start(vm).get(10, TimeUnit.SECONDS);
        assertEquals(new VmOutcome.ResetExit("i8042 pulsed the reset line (command 0xfe)"), out);
        assertEquals(0, out.exitCode());
        assertEquals(0, afterReset.get());
    }

    /** Runs the VM until vCPU 0's single step ends the run. */
    private VmOutcome endOfRun(ResetPolicy policy, Function<VirtualMachine, Function<IoBus, VcpuExit>> step)
            throws Exception {
        VirtualMachine vm = vm(policy);
        partition.vcpus[0].steps.add(step.apply(vm));
        return start(vm).get(10, TimeUnit.SECONDS);
    }

    /** Every source that can end a run names itself in the outcome, and the summary is the line jvmm prints. */
    @Test
    void eachWayARunEndsCarriesItsCause() throws Exception {
        VmOutcome triple = endOfRun(ResetPolicy.EXIT, vm -> bus -> new VcpuExit.Shutdown(0xfff0));
        assertEquals(new VmOutcome.ResetExit("vCPU 0 triple-faulted at RIP 0xfff0"), triple);
        assertEquals("the guest reset: vCPU 0 triple-faulted at RIP 0xfff0", triple.summary());

        assertEquals(new VmOutcome.ResetExit("vCPU 0 triple-faulted at an unknown RIP"),
                endOfRun(ResetPolicy.EXIT, vm -> bus -> new VcpuExit.Shutdown(-1)));
        assertEquals(new VmOutcome.ResetExit("vCPU 0 asked the platform for a reset (system event) at RIP 0x40"),
                endOfRun(ResetPolicy.EXIT, vm -> bus -> new VcpuExit.SystemEvent(true, 0x40)));
        VmOutcome psciOff = endOfRun(ResetPolicy.EXIT, vm -> bus -> new VcpuExit.SystemEvent(false, 0x40));
        assertEquals("the guest powered off: vCPU 0 asked the platform for a power-off (system event) at RIP 0x40",
                psciOff.summary());

        // Devices, through the board's relay: the device's name and what it says the guest did.
        VmOutcome i8042 = endOfRun(ResetPolicy.EXIT, vm -> bus -> {
            relayTo(vm).accept(new PowerRequest("i8042", PowerAction.RESET, "pulsed the reset line (command 0xfe)"));
            return null;
        });
        assertEquals("the guest reset: i8042 pulsed the reset line (command 0xfe)", i8042.summary());
        VmOutcome pm = endOfRun(ResetPolicy.EXIT, vm -> bus -> {
            relayTo(vm).accept(new PowerRequest("pm", PowerAction.HIBERNATE, "was told to enter S4"));
            return null;
        });
        assertEquals(new VmOutcome.PoweredOff("pm was told to enter S4"), pm);
        VmOutcome silent = endOfRun(ResetPolicy.EXIT, vm -> bus -> {
            relayTo(vm).accept(new PowerRequest("plugin-dev", PowerAction.POWER_OFF, null));
            return null;
        });
        assertEquals("the guest powered off: plugin-dev requested a power-off", silent.summary());

        // From outside: the control socket, the console.
        VmOutcome ctlReset = endOfRun(ResetPolicy.EXIT, vm -> bus -> {
            vm.reset("jvmm ctl reset (control socket)");
            return null;
        });
        assertEquals("the guest reset: jvmm ctl reset (control socket)", ctlReset.summary());
        VmOutcome ctlShutdown = endOfRun(ResetPolicy.RESTART, vm -> bus -> {
            vm.shutdown("jvmm ctl shutdown (control socket)");
            return null;
        });
        assertEquals("the guest powered off: jvmm ctl shutdown (control socket)", ctlShutdown.summary());
        assertEquals("the VM failed: vCPU 0 halted", new VmOutcome.Failed("vCPU 0 halted").summary());
    }

    private static PowerRelay relayTo(VirtualMachine vm) {
        PowerRelay relay = new PowerRelay();
        relay.target(vm);
        return relay;
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
        ScriptedVcpu v0 = partition.vcpus[0];
        ScriptedVcpu v1 = partition.vcpus[1];
        CompletableFuture<VmOutcome> run = start(vm);
        awaitEntry(v0);
        awaitEntry(v1);
        vm.pause();
        assertEquals(List.of("start", "stop"), chipset.awaitCalls(2)); // stop() comes after the vCPUs left
        assertEquals(VmState.PAUSED, vm.state());
        assertFalse(v0.inGuest || v1.inGuest);
        long[] waited = awaitAllParkedQuietly(v0, v1);
        int runs0 = v0.runs.get();
        int runs1 = v1.runs.get();
        // Wake the parked vCPUs (a second pause is a no-op request, but it notifies them), and wait
        // until both have looked at the state again and gone back to waiting.
        vm.pause();
        long[] again = awaitAllParkedQuietly(v0, v1);
        assertTrue(again[0] > waited[0] && again[1] > waited[1], "both vCPUs were woken and parked again");
        assertEquals(runs0, v0.runs.get(), "a paused vCPU must not re-enter the guest");
        assertEquals(runs1, v1.runs.get(), "a paused vCPU must not re-enter the guest");
        v0.entries.drainPermits();
        vm.resume();
        awaitEntry(v0); // the resumed vCPU runs again
        assertEquals(VmState.RUNNING, vm.state());
        vm.shutdown();
        assertInstanceOf(VmOutcome.PoweredOff.class, run.get(10, TimeUnit.SECONDS));
        assertEquals(List.of("start", "stop", "start", "stop"), chipset.calls);
    }

    /**
     * A second run() while the first is starting (here: loading the payload) is refused at once and
     * loads nothing: before, the check came after boot(), so the second call reloaded the payload
     * into the live guest and set a running vCPU's boot state before it threw.
     */
    @Test
    void aSecondRunWhileTheFirstStartsIsRefusedWithoutTouchingTheGuest() throws Exception {
        CountDownLatch loading = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        VirtualMachine vm = new VirtualMachine(partition, NO_BUS, chipset, p -> {
            loads.incrementAndGet();
            loading.countDown();
            release.await(30, TimeUnit.SECONDS);
            return boot;
        }, ResetPolicy.RESTART);
        CompletableFuture<VmOutcome> first = start(vm);
        assertTrue(loading.await(10, TimeUnit.SECONDS));
        assertEquals(VmState.STARTING, vm.state());
        CompletableFuture<VmOutcome> second = start(vm);
        try {
            second.get(10, TimeUnit.SECONDS);
            fail("the second run() returned");
        } catch (ExecutionException e) {
            assertInstanceOf(IllegalStateException.class, e.getCause());
        }
        assertEquals(1, loads.get(), "the second run() loaded no payload");
        release.countDown();
        awaitEntry(partition.vcpus[0]);
        assertThrows(IllegalStateException.class, vm::run, "nor while running");
        assertEquals(1, loads.get());
        assertEquals(List.of(boot), partition.vcpus[0].bootStates, "the running vCPU's boot state was set once");
        vm.shutdown();
        assertInstanceOf(VmOutcome.PoweredOff.class, first.get(10, TimeUnit.SECONDS));
    }

    /**
     * An Error from a device's start (a poll pool that cannot create its thread) is a Failed outcome,
     * not an escape from run() with the devices started; without a message it is named by its class.
     */
    @Test
    void anErrorFromStartingTheDevicesIsAFailedOutcomeAndTheDevicesAreStopped() throws Exception {
        chipset.failingStart = 1;
        chipset.startError = new OutOfMemoryError();
        VirtualMachine vm = vm(ResetPolicy.RESTART);
        VmOutcome out = start(vm).get(10, TimeUnit.SECONDS);
        assertEquals(new VmOutcome.Failed("java.lang.OutOfMemoryError"), out);
        assertEquals(List.of("start", "stop"), chipset.calls);
        assertEquals(0, partition.vcpus[0].runs.get(), "no vCPU entered the guest");
        assertEquals(VmState.SHUT_DOWN, vm.state());
    }

    /**
     * The second vCPU's thread cannot be created: the run fails with that, the first vCPU (already
     * in the guest) is stopped and its thread ends, and the devices are stopped.
     */
    @Test
    void aVcpuThreadThatCannotStartFailsTheRunAndStopsTheOthers() throws Exception {
        List<Thread> made = new ArrayList<>();
        VirtualMachine vm = new VirtualMachine(partition, NO_BUS, chipset, p -> boot, ResetPolicy.RESTART, false,
                "t", r -> {
                    Thread t = made.size() == 1 ? new Thread(r) {
                        @Override
                        public synchronized void start() {
                            throw new OutOfMemoryError("unable to create native thread: possibly out of memory");
                        }
                    } : new Thread(r);
                    made.add(t);
                    return t;
                });
        VmOutcome out = start(vm).get(10, TimeUnit.SECONDS);
        assertEquals(new VmOutcome.Failed("unable to create native thread: possibly out of memory"), out);
        assertEquals(VmState.SHUT_DOWN, vm.state());
        assertEquals(List.of("start", "stop"), chipset.calls);
        assertEquals(2, made.size());
        made.get(0).join(10_000);
        assertFalse(made.get(0).isAlive(), "vCPU 0's thread ended");
        assertEquals(0, partition.vcpus[1].runs.get());
    }

    @Test
    void payloadFailureIsAFailedOutcome() {
        VirtualMachine vm = new VirtualMachine(partition, NO_BUS, chipset, p -> {
            throw new IllegalArgumentException("initrd does not fit");
        }, ResetPolicy.RESTART);
        assertEquals(new VmOutcome.Failed("could not load the guest payload: initrd does not fit"), vm.run());
    }

    @Test
    void whileStoppedRunsWithEveryVcpuOutAndDevicesStoppedThenResumes() throws Exception {
        VirtualMachine vm = vm(ResetPolicy.RESTART);
        ScriptedVcpu v0 = partition.vcpus[0];
        ScriptedVcpu v1 = partition.vcpus[1];
        CompletableFuture<VmOutcome> run = start(vm);
        awaitEntry(v0);
        awaitEntry(v1);
        v0.entries.drainPermits();
        CompletableFuture<String> saved = vm.whileStopped(() -> {
            // what a snapshot sees: nobody in the guest, the device runner stopped
            assertFalse(v0.inGuest || v1.inGuest, "a vCPU is in the guest during the snapshot");
            assertEquals(List.of("start", "stop"), List.copyOf(chipset.calls));
            return "saved";
        }, false, "unused");
        assertEquals("saved", saved.get(10, TimeUnit.SECONDS));
        awaitEntry(v0); // it runs again
        assertEquals(VmState.RUNNING, vm.state());
        vm.shutdown();
        assertInstanceOf(VmOutcome.PoweredOff.class, run.get(10, TimeUnit.SECONDS));
        assertEquals(List.of("start", "stop", "start", "stop"), chipset.calls);
    }

    @Test
    void whileStoppedWithStopAfterEndsTheRunAndAFailureResumes() throws Exception {
        VirtualMachine vm = vm(ResetPolicy.RESTART);
        CompletableFuture<VmOutcome> run = start(vm);
        awaitEntry(partition.vcpus[0]);
        partition.vcpus[0].entries.drainPermits();
        CompletableFuture<Object> failed = vm.whileStopped(() -> {
            throw new java.io.IOException("disk full");
        }, true, "stopped after snapshot to /x");
        java.util.concurrent.ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(
                java.util.concurrent.ExecutionException.class, () -> failed.get(10, TimeUnit.SECONDS));
        assertEquals("disk full", e.getCause().getMessage());
        awaitEntry(partition.vcpus[0]); // a failed snapshot with --stop does not end the run
        assertEquals(VmState.RUNNING, vm.state());
        assertEquals(42, vm.whileStopped(() -> 42, true, "stopped after snapshot to /x").get(10, TimeUnit.SECONDS));
        VmOutcome outcome = run.get(10, TimeUnit.SECONDS);
        assertEquals(new VmOutcome.Stopped("stopped after snapshot to /x"), outcome);
        assertEquals(0, outcome.exitCode());
        assertEquals("stopped after snapshot to /x", outcome.summary());
        // once the run has ended, a request is refused at once rather than left waiting
        assertTrue(vm.whileStopped(() -> 1, false, "").isCompletedExceptionally());
    }

    @Test
    void aRestoredVmStartsWithoutLoadingThePayloadAndAResetLoadsIt() throws Exception {
        VirtualMachine vm = new VirtualMachine(partition, NO_BUS, chipset, p -> {
            loads.incrementAndGet();
            return boot;
        }, ResetPolicy.RESTART, true);
        CompletableFuture<VmOutcome> run = start(vm);
        awaitEntry(partition.vcpus[0]);
        assertEquals(0, loads.get(), "a restored VM continues from the vCPUs' restored state");
        assertTrue(partition.vcpus[0].bootStates.isEmpty(), "no boot state over the restored one");
        partition.vcpus[0].entries.drainPermits();
        vm.reset();
        awaitEntry(partition.vcpus[0]);
        assertEquals(1, loads.get(), "a reset after a restore loads the payload");
        vm.shutdown();
        assertInstanceOf(VmOutcome.PoweredOff.class, run.get(10, TimeUnit.SECONDS));
    }
}
