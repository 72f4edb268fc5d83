package io.jvmm.runtime.vm;

import io.jvmm.api.device.PowerAction;
import io.jvmm.api.hv.CpuBootState;
import io.jvmm.api.hv.IoBus;
import io.jvmm.api.hv.Partition;
import io.jvmm.api.hv.Vcpu;
import io.jvmm.api.hv.VcpuExit;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a built VM: one platform thread per vCPU and a controller (the thread that calls
 * {@link #run()}) that owns every state change, after alioth's board: running, paused, reset
 * pending (devices reset, memory reloaded, run again) and shut down.
 *
 * <p>Requests (pause, resume, reset, power off) may come from any thread, including a vCPU thread
 * inside a device access; they never block the caller. A vCPU that asked for a reset or power-off
 * does not enter the guest again until the controller has acted, so a guest never runs past its
 * own reset request.
 */
public final class VirtualMachine {
    private static final Logger LOG = LoggerFactory.getLogger(VirtualMachine.class);
    private static final Duration PARK_TIMEOUT = Duration.ofSeconds(5);

    private enum RequestKind { PAUSE, RESUME, RESET, POWER_OFF, FAIL, SNAPSHOT }

    /** A request; {@code snapshot} only for {@link RequestKind#SNAPSHOT}. */
    private record Request(RequestKind kind, String reason, SnapshotRequest<?> snapshot) {
        Request(RequestKind kind, String reason) {
            this(kind, reason, null);
        }
    }

    /**
     * Work to do with the whole VM stopped (a snapshot), then to resume or to end the run.
     *
     * @param stopAfter end the run afterwards with {@link VmOutcome.Stopped} and {@code stopReason}
     */
    private record SnapshotRequest<T>(Callable<T> action, boolean stopAfter, String stopReason,
            CompletableFuture<T> result) {
        void run() {
            try {
                result.complete(action.call());
            } catch (Exception | Error e) {
                result.completeExceptionally(e);
            }
        }

        void refuse(String why) {
            result.completeExceptionally(new IllegalStateException(why));
        }
    }

    private final Partition partition;
    private final IoBus bus;
    private final ChipsetControl chipset;
    private final PayloadLoader payload;
    private final ResetPolicy resetPolicy;
    private final int vcpuCount;
    /** A restored VM starts from the vCPUs' restored state: no payload load, no boot state. */
    private final boolean restored;
    /** The vCPU threads are NAME-vcpu-N. */
    private final String name;
    private final ThreadFactory threadFactory;

    private final Object lock = new Object();
    private final ArrayDeque<Request> requests = new ArrayDeque<>();
    private final boolean[] parked;
    private VmState state = VmState.CREATED;
    private int resets;
    private final List<Thread> threads = new ArrayList<>();

    public VirtualMachine(Partition partition, IoBus bus, ChipsetControl chipset, PayloadLoader payload,
            ResetPolicy resetPolicy) {
        this(partition, bus, chipset, payload, resetPolicy, false);
    }

    /**
     * @param restored true when the partition's, vCPUs' and devices' state were restored from a
     *     snapshot: {@link #run()} then starts the vCPUs where they were instead of loading the
     *     payload ({@code payload} is used only by a later guest reset)
     */
    public VirtualMachine(Partition partition, IoBus bus, ChipsetControl chipset, PayloadLoader payload,
            ResetPolicy resetPolicy, boolean restored) {
        this(partition, bus, chipset, payload, resetPolicy, restored, VmSpec.DEFAULT_NAME);
    }

    /** @param name what the vCPU threads are called after: {@code NAME-vcpu-0}, ... ({@link VmSpec#name()}) */
    public VirtualMachine(Partition partition, IoBus bus, ChipsetControl chipset, PayloadLoader payload,
            ResetPolicy resetPolicy, boolean restored, String name) {
        this(partition, bus, chipset, payload, resetPolicy, restored, name, Thread::new);
    }

    /**
     * With the factory of the vCPU threads: a package-private seam for tests of a thread that
     * cannot be created (the JVM's "unable to create native thread").
     */
    VirtualMachine(Partition partition, IoBus bus, ChipsetControl chipset, PayloadLoader payload,
            ResetPolicy resetPolicy, boolean restored, String name, ThreadFactory threadFactory) {
        this.threadFactory = Objects.requireNonNull(threadFactory, "threadFactory");
        this.name = Objects.requireNonNull(name, "name");
        this.restored = restored;
        this.partition = Objects.requireNonNull(partition, "partition");
        this.bus = Objects.requireNonNull(bus, "bus");
        this.chipset = Objects.requireNonNull(chipset, "chipset");
        this.payload = Objects.requireNonNull(payload, "payload");
        this.resetPolicy = Objects.requireNonNull(resetPolicy, "resetPolicy");
        this.vcpuCount = partition.config().vcpuCount();
        this.parked = new boolean[vcpuCount];
    }

    public VmState state() {
        synchronized (lock) {
            return state;
        }
    }

    /** How many guest resets the VM went through. */
    public int resets() {
        synchronized (lock) {
            return resets;
        }
    }

    public void pause() {
        submit(RequestKind.PAUSE, "pause requested");
    }

    public void resume() {
        submit(RequestKind.RESUME, "resume requested");
    }

    public void reset() {
        reset("a reset was requested");
    }

    /** Resets the VM as if the guest had; {@code cause} is reported if that ends the run (e.g. "jvmm ctl reset"). */
    public void reset(String cause) {
        submit(RequestKind.RESET, cause);
    }

    /** Ends the run as if the guest powered off. */
    public void shutdown() {
        shutdown("a shutdown was requested");
    }

    /** Ends the run as if the guest powered off; {@code cause} says who asked (e.g. "jvmm ctl shutdown"). */
    public void shutdown(String cause) {
        submit(RequestKind.POWER_OFF, cause);
    }

    /**
     * The board's power-request sink: devices call this (from vCPU or device threads).
     *
     * @param cause what the guest did, reported as the run's end: "i8042 pulsed the reset line (command 0xfe)"
     */
    public void requestPower(PowerAction action, String cause) {
        switch (action) {
            case POWER_OFF, HIBERNATE -> submit(RequestKind.POWER_OFF, cause);
            case RESET -> submit(RequestKind.RESET, cause);
        }
    }

    /**
     * Runs {@code action} on the controller thread with every vCPU out of the guest and the devices
     * stopped (the pause path), then resumes the VM if it was running, or with {@code stopAfter} ends
     * the run with {@link VmOutcome.Stopped}{@code (stopReason)}. Returns at once; the future
     * completes with the action's result or failure once the action is done (and before the run
     * ends), or fails when the VM is not running or paused.
     */
    public <T> CompletableFuture<T> whileStopped(Callable<T> action, boolean stopAfter, String stopReason) {
        SnapshotRequest<T> req = new SnapshotRequest<>(Objects.requireNonNull(action, "action"), stopAfter,
                stopReason, new CompletableFuture<>());
        synchronized (lock) {
            if (state != VmState.RUNNING && state != VmState.PAUSED) {
                req.refuse("the VM is " + state.name().toLowerCase(java.util.Locale.ROOT) + ", not running or paused");
                return req.result();
            }
            requests.add(new Request(RequestKind.SNAPSHOT, "snapshot", req));
            lock.notifyAll();
        }
        kickAll();
        return req.result();
    }

    private void submit(RequestKind kind, String reason) {
        synchronized (lock) {
            if (state == VmState.SHUT_DOWN) {
                return;
            }
            requests.add(new Request(kind, reason));
            lock.notifyAll();
        }
        if (kind != RequestKind.RESUME) {
            kickAll();
        }
    }

    private void kickAll() {
        for (int i = 0; i < vcpuCount; i++) {
            partition.vcpu(i).kick();
        }
    }

    /**
     * Boots the payload and runs until the guest powers off, resets under {@link ResetPolicy#EXIT},
     * or fails. Call once: a second call, also one made while the first is still running, throws
     * {@link IllegalStateException} and touches neither guest memory nor the vCPUs.
     *
     * <p>Whatever fails while starting (the payload, a device's start, a vCPU thread that cannot be
     * created, an {@link Error} included) ends the run with {@link VmOutcome.Failed}: what had
     * started is stopped again and no vCPU thread is left behind.
     */
    public VmOutcome run() {
        synchronized (lock) {
            // Checked and marked in one step, before anything is loaded or started: two concurrent
            // calls cannot both pass, and the loser never reloads the payload into a running guest.
            if (state != VmState.CREATED) {
                throw new IllegalStateException("run() was already called");
            }
            state = VmState.STARTING;
        }
        if (!restored) {
            try {
                boot();
            } catch (Exception | Error e) {
                return finish(new VmOutcome.Failed("could not load the guest payload: " + describe(e)));
            }
        }
        try {
            chipset.start();
            synchronized (lock) {
                if (state == VmState.STARTING) {
                    state = VmState.RUNNING;
                }
            }
            for (int i = 0; i < vcpuCount; i++) {
                int index = i;
                Thread t = threadFactory.newThread(() -> vcpuThread(index));
                t.setName(name + "-vcpu-" + i);
                t.setDaemon(true);
                threads.add(t); // before start(): finish() joins it (at once if it never started)
                t.start();
            }
        } catch (RuntimeException | Error e) {
            // A device that cannot start, or a vCPU thread that cannot be created ("unable to create
            // native thread"): this run ends with an outcome, like any other failure, and the vCPU
            // threads already started are told to stop and joined by finish().
            LOG.error("the VM could not start", e);
            VmOutcome out = finish(new VmOutcome.Failed(describe(e)));
            chipset.stop(); // a start() that threw may have started some devices
            return out;
        }
        try {
            return control();
        } catch (RuntimeException | Error e) {
            // The controller itself failed (devices that do not start again after a reset, say): the
            // run ends with that as its outcome and the vCPU threads end, rather than the exception
            // reaching the caller with this VM's vCPU threads left waiting for a controller.
            LOG.error("the VM's controller failed", e);
            return finish(new VmOutcome.Failed("the VM's controller failed: " + describe(e)));
        } finally {
            chipset.stop();
        }
    }

    /** The message, or the throwable's class and nothing else when it has none (never "null"). */
    private static String describe(Throwable e) {
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }

    private void boot() throws Exception {
        CpuBootState bsp = payload.load(partition);
        partition.vcpu(0).setBootState(bsp);
    }

    private VmOutcome control() {
        while (true) {
            Request req;
            VmState before;
            synchronized (lock) {
                while (requests.isEmpty()) {
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        requests.add(new Request(RequestKind.POWER_OFF, "the VM's controller thread was interrupted"));
                    }
                }
                req = takeMostUrgent();
                before = state;
                // Decided under the lock that the vCPUs check: once the request has left the queue,
                // the state already keeps them out of the guest.
                if (req.kind() == RequestKind.RESET && (state == VmState.RUNNING || state == VmState.PAUSED)) {
                    state = VmState.RESET_PENDING;
                    lock.notifyAll();
                } else if (req.kind() == RequestKind.POWER_OFF || req.kind() == RequestKind.FAIL) {
                    state = VmState.SHUT_DOWN;
                    lock.notifyAll();
                }
            }
            switch (req.kind()) {
                case PAUSE -> {
                    if (transition(VmState.RUNNING, VmState.PAUSED)) {
                        parkAll();
                        chipset.stop();
                        LOG.info("VM paused");
                    }
                }
                case RESUME -> {
                    boolean paused;
                    synchronized (lock) {
                        paused = state == VmState.PAUSED;
                    }
                    if (paused) {
                        chipset.start();
                        transition(VmState.PAUSED, VmState.RUNNING);
                        LOG.info("VM resumed");
                    }
                }
                case RESET -> {
                    VmOutcome end = handleReset(req.reason(), before);
                    if (end != null) {
                        return finish(end);
                    }
                }
                case POWER_OFF -> {
                    return finish(new VmOutcome.PoweredOff(req.reason()));
                }
                case FAIL -> {
                    return finish(new VmOutcome.Failed(req.reason()));
                }
                case SNAPSHOT -> {
                    VmOutcome end = handleSnapshot(req.snapshot(), before);
                    if (end != null) {
                        return finish(end);
                    }
                }
            }
        }
    }

    /** Failures and power-off win over everything else queued. */
    private Request takeMostUrgent() {
        for (RequestKind k : new RequestKind[] {RequestKind.FAIL, RequestKind.POWER_OFF}) {
            for (Request r : requests) {
                if (r.kind() == k) {
                    refuseSnapshots("the VM stopped before the snapshot was taken: " + r.reason());
                    requests.clear();
                    return r;
                }
            }
        }
        return requests.poll();
    }

    /** Fails every queued snapshot request (their callers wait for an answer); call with the lock held. */
    private void refuseSnapshots(String why) {
        for (Request r : requests) {
            if (r.snapshot() != null) {
                r.snapshot().refuse(why);
            }
        }
    }

    /**
     * Stops everything as a pause does, runs the snapshot's action, then resumes a VM that was
     * running (a paused one stays paused), or ends the run when asked to and the action succeeded.
     */
    private VmOutcome handleSnapshot(SnapshotRequest<?> req, VmState before) {
        if (before != VmState.RUNNING && before != VmState.PAUSED) {
            req.refuse("the VM is " + before.name().toLowerCase(java.util.Locale.ROOT) + ", not running or paused");
            return null;
        }
        if (before == VmState.RUNNING) {
            transition(VmState.RUNNING, VmState.PAUSED);
            if (!parkAll()) {
                // saving a vCPU that may still run would give an inconsistent snapshot: none is taken
                req.refuse("a vCPU did not leave the guest within " + PARK_TIMEOUT.toSeconds()
                        + " s; no snapshot was taken and the VM goes on");
                transition(VmState.PAUSED, VmState.RUNNING);
                return null;
            }
            chipset.stop();
        }
        req.run();
        if (req.stopAfter() && !req.result().isCompletedExceptionally()) {
            return new VmOutcome.Stopped(req.stopReason());
        }
        if (before == VmState.RUNNING) {
            chipset.start();
            transition(VmState.PAUSED, VmState.RUNNING);
        }
        return null;
    }

    private VmOutcome handleReset(String reason, VmState before) {
        if (before != VmState.RUNNING && before != VmState.PAUSED) {
            return null;
        }
        kickAll();
        parkAll();
        if (resetPolicy == ResetPolicy.EXIT) {
            return new VmOutcome.ResetExit(reason);
        }
        LOG.info("resetting the VM: {}", reason);
        try {
            if (before == VmState.RUNNING) {
                chipset.stop();
            }
            chipset.reset();
            partition.resetChipset();
            partition.memory().clear();
            CpuBootState bsp = payload.load(partition);
            for (int i = 0; i < vcpuCount; i++) {
                partition.vcpu(i).setBootState(i == 0 ? bsp : CpuBootState.APPLICATION_PROCESSOR);
            }
        } catch (Exception e) {
            return new VmOutcome.Failed("reset failed: " + describe(e));
        }
        chipset.start();
        synchronized (lock) {
            resets++;
            state = VmState.RUNNING;
            lock.notifyAll();
        }
        return null;
    }

    private boolean transition(VmState from, VmState to) {
        synchronized (lock) {
            if (state != from) {
                return false;
            }
            state = to;
            lock.notifyAll();
        }
        if (to != VmState.RUNNING) {
            kickAll();
        }
        return true;
    }

    /**
     * Waits until every vCPU thread is outside the guest, kicking again while one is slow.
     *
     * @return false if one was still inside after {@link #PARK_TIMEOUT} (or the wait was interrupted)
     */
    private boolean parkAll() {
        long deadline = System.nanoTime() + PARK_TIMEOUT.toNanos();
        synchronized (lock) {
            while (!allParked()) {
                if (System.nanoTime() > deadline) {
                    LOG.warn("a vCPU did not leave the guest within {} s; continuing without it",
                            PARK_TIMEOUT.toSeconds());
                    return false;
                }
                try {
                    lock.wait(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
                kickAll();
            }
        }
        return true;
    }

    private boolean allParked() {
        for (int i = 0; i < vcpuCount; i++) {
            if (!parked[i] && threads.get(i).isAlive()) {
                return false;
            }
        }
        return true;
    }

    private VmOutcome finish(VmOutcome outcome) {
        synchronized (lock) {
            refuseSnapshots("the VM stopped before the snapshot was taken");
            requests.clear();
            state = VmState.SHUT_DOWN;
            lock.notifyAll();
        }
        kickAll();
        long deadline = System.nanoTime() + PARK_TIMEOUT.toNanos();
        for (Thread t : threads) {
            try {
                long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
                t.join(left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return outcome;
    }

    /**
     * A vCPU thread: its loop, and if anything escapes it (an {@link Error} from a device, the
     * backend failing), a failure of this VM alone. Without this the thread would die silently, the
     * controller would wait forever and the VM's {@link #run()} would never return; the other VMs of
     * the process never notice either way, as nothing here is shared between VMs.
     */
    private void vcpuThread(int index) {
        try {
            vcpuLoop(index);
        } catch (RuntimeException | Error e) {
            LOG.error("vCPU {} failed", index, e);
            submit(RequestKind.FAIL, "vCPU " + index + " failed: " + e);
        }
    }

    private void vcpuLoop(int index) {
        Vcpu vcpu = partition.vcpu(index);
        while (true) {
            synchronized (lock) {
                if (mustStayOut()) {
                    parked[index] = true;
                    // Once per parking, for the controller waiting in parkAll(), and never from the wait
                    // loop below: parked vCPUs that notified on every wake-up woke each other forever, a
                    // notifyAll storm that kept a core busy per vCPU and starved the controller of this
                    // lock, so a reset or pause never completed (issue 14).
                    lock.notifyAll();
                    do {
                        if (state == VmState.SHUT_DOWN) {
                            return;
                        }
                        try {
                            lock.wait();
                        } catch (InterruptedException e) {
                            return;
                        }
                    } while (mustStayOut());
                }
                parked[index] = false;
                // Under the lock and while RUNNING: a kick sent for a later state change comes after this.
                vcpu.clearKick();
            }
            VcpuExit exit = vcpu.run(bus);
            if (exit instanceof VcpuExit.Kicked) {
                continue;
            }
            onExit(index, exit);
        }
    }

    /** Whether a vCPU must not enter the guest now; call with the lock held. */
    private boolean mustStayOut() {
        return state != VmState.RUNNING || !requests.isEmpty() && blocksGuest();
    }

    /** A queued reset, power-off or failure keeps every vCPU out of the guest until handled. */
    private boolean blocksGuest() {
        for (Request r : requests) {
            if (r.kind() != RequestKind.RESUME && r.kind() != RequestKind.PAUSE) {
                return true;
            }
        }
        return false;
    }

    /** "at RIP 0x…"; the backend reports -1 when it could not read the registers. */
    private static String at(long rip) {
        return rip == -1 ? "at an unknown RIP" : "at RIP 0x" + Long.toHexString(rip);
    }

    private void onExit(int index, VcpuExit exit) {
        // Cold paths: these end a boot, so their messages may allocate.
        if (exit instanceof VcpuExit.Shutdown s) {
            submit(RequestKind.RESET, "vCPU " + index + " triple-faulted " + at(s.rip()));
        } else if (exit instanceof VcpuExit.SystemEvent e) {
            submit(e.reset() ? RequestKind.RESET : RequestKind.POWER_OFF,
                    "vCPU " + index + " asked the platform for a " + (e.reset() ? "reset" : "power-off")
                            + " (system event) " + at(e.rip()));
        } else if (exit instanceof VcpuExit.Halted h) {
            submit(RequestKind.FAIL, "vCPU " + index + " halted at RIP 0x" + Long.toHexString(h.rip())
                    + " with nothing to wake it");
        } else if (exit instanceof VcpuExit.Failed f) {
            String bytes = f.instructionBytes().length == 0 ? ""
                    : " (instruction bytes " + HexFormat.ofDelimiter(" ").formatHex(f.instructionBytes()) + ")";
            submit(RequestKind.FAIL, "vCPU " + index + " stopped: " + f.reason() + " at RIP 0x"
                    + Long.toHexString(f.rip()) + bytes);
        }
    }
}
