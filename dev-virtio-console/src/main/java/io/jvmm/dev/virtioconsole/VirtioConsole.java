package io.jvmm.dev.virtioconsole;

import io.jvmm.api.device.DeviceWaker;
import io.jvmm.api.device.DmaMemory;
import io.jvmm.api.device.SavedStateBlob;
import io.jvmm.api.serial.SerialBackend;
import io.jvmm.api.serial.SerialBackendListener;
import io.jvmm.api.support.StateFormat;
import io.jvmm.virtio.DescriptorChain;
import io.jvmm.virtio.VirtQueue;
import io.jvmm.virtio.VirtQueueException;
import io.jvmm.virtio.VirtioDevice;
import java.util.Optional;

/**
 * The console device (virtio 1.2 §5.3) with one port and no optional features: queue 0 is port 0's
 * receiveq (host to guest), queue 1 its transmitq (guest to host) (§5.3.2). Linux calls the port
 * {@code hvc0}.
 *
 * <p>Host to guest: bytes are pulled from the backend only into receive buffers the driver posted,
 * so while the guest posts none they stay in the backend, whose bounded input buffer then stops
 * reading its source (a TCP client or the terminal is back-pressured, nothing is dropped). The
 * device holds at most one popped receive chain while it waits for input, and returns it as soon as
 * any byte is in it (a console wants latency, not full buffers).
 *
 * <p>Guest to host: each transmit chain's readable bytes are offered to the backend; when the
 * backend's bounded output buffer is full the device keeps the chain (and its offset) and does not
 * pop another until the backend's listener says space was freed, so a flood waits in guest memory
 * (and the guest, whose driver waits for its buffers) rather than in the VMM. A disconnected backend
 * (a TCP port with no client, {@code none}) takes and drops everything, as it does for a 16550.
 *
 * <p>All of it runs in {@link #process} on the board's device thread, at most {@link #MAX_PER_CALL}
 * bytes per direction per call. Not thread-safe except {@link #listener}: the transport calls
 * everything else under the device's lock.
 *
 * <p>Saved state ({@link ConsoleState}): the chains the device holds go back into their rings
 * ({@link #heldChains}); of a transmit chain the backend took part of, the state keeps how much, so
 * the restored device, popping it again, sends only the rest. Input is never held outside the
 * backend (bytes are read only into a chain), so none is lost.
 */
final class VirtioConsole implements VirtioDevice {
    static final int DEVICE_ID = 3;
    static final int RECEIVEQ = 0;
    static final int TRANSMITQ = 1;
    static final int QUEUE_SIZE = 128;
    /** Bytes moved per direction per {@link #process} call before it yields to other devices. */
    static final int MAX_PER_CALL = 64 * 1024;

    /**
     * The console's own saved state.
     *
     * @param txSent bytes of the first transmit chain the restored device pops that the backend
     *     took already (0 when the device held no chain)
     */
    record ConsoleState(long txSent) {
        ConsoleState {
            if (txSent < 0 || txSent > 0xFFFF_FFFFL) {
                throw new IllegalArgumentException("txSent " + txSent + " is outside a chain's 32-bit length");
            }
        }

        static final StateFormat<ConsoleState> FORMAT = StateFormat.of("virtio.console", 1,
                (s, out) -> out.u32("txSent", s.txSent()), in -> new ConsoleState(in.u32("txSent")));
    }

    private final SerialBackend backend;
    private final DmaMemory memory;
    private final byte[] scratch = new byte[4096];

    /** Set by the backend's listener (any thread), cleared by the queue's process before it looks. */
    private volatile boolean inputSignal = true;
    private volatile boolean outputSignal = true;

    /** A receive chain popped while no input was waiting: filled when input arrives. */
    private boolean rxHeld;
    /** A transmit chain the backend has not taken all of, and how far it got. */
    private boolean txHeld;
    private long txOffset;
    /** Where the next transmit chain popped starts: what a restored state says went out already. */
    private long txResumeAt;

    VirtioConsole(SerialBackend backend, DmaMemory memory) {
        this.backend = backend;
        this.memory = memory;
    }

    /** The backend's listener: flags both directions and wakes the transport's poll. */
    SerialBackendListener listener(DeviceWaker waker) {
        return () -> {
            inputSignal = true;
            outputSignal = true;
            waker.wake();
        };
    }

    @Override
    public int deviceId() {
        return DEVICE_ID;
    }

    @Override
    public int pciClassCode() {
        return 0x07_8000; // simple communication controller, other (as other virtio consoles show)
    }

    @Override
    public long features() {
        return 0; // no VIRTIO_CONSOLE_F_SIZE, F_MULTIPORT or F_EMERG_WRITE (§5.3.3)
    }

    @Override
    public int queueCount() {
        return 2;
    }

    @Override
    public int maxQueueSize(int queue) {
        return QUEUE_SIZE;
    }

    @Override
    public boolean hasWork(int queue) {
        return queue == RECEIVEQ ? inputSignal : txHeld && outputSignal;
    }

    @Override
    public boolean process(VirtQueue queue, long acked) throws VirtQueueException {
        return queue.index() == RECEIVEQ ? receive(queue) : transmit(queue);
    }

    /** Host to guest (§5.3.6.1): backend input into posted receive buffers. */
    private boolean receive(VirtQueue queue) throws VirtQueueException {
        inputSignal = false; // a signal after this point calls again
        int budget = MAX_PER_CALL;
        for (int served = 0; served < queue.size(); served++) {
            if (!rxHeld) {
                if (!queue.next()) {
                    return false; // no buffers: input stays in the backend until the driver posts some
                }
                rxHeld = true;
            }
            DescriptorChain chain = queue.chain();
            long room = chain.writableLength();
            if (room == 0) {
                rxHeld = false;
                queue.complete(chain.head(), 0); // nothing fits in a chain without writable buffers
                continue;
            }
            long done = 0;
            while (done < room && budget > 0) {
                int n = backend.read(scratch, 0, (int) Math.min(scratch.length, Math.min(room - done, budget)));
                if (n == 0) {
                    break;
                }
                done += chain.write(memory, done, scratch, 0, n);
                budget -= n;
            }
            if (done == 0) {
                return false; // keep the chain until the listener reports input
            }
            rxHeld = false;
            queue.complete(chain.head(), (int) done);
            if (budget <= 0) {
                return true; // more input may be waiting: the transport calls again soon
            }
        }
        return true; // a queue's worth served: there may be more
    }

    /** Guest to host (§5.3.6.2): transmit chains' readable bytes to the backend. */
    private boolean transmit(VirtQueue queue) throws VirtQueueException {
        outputSignal = false; // space freed after this point calls again
        int budget = MAX_PER_CALL;
        for (int served = 0; served < queue.size(); served++) {
            if (!txHeld) {
                if (!queue.next()) {
                    return false;
                }
                txHeld = true;
                txOffset = txResumeAt;
                txResumeAt = 0;
            }
            DescriptorChain chain = queue.chain();
            long length = chain.readableLength();
            while (txOffset < length) {
                if (budget <= 0) {
                    return true; // the rest of this chain on the next call
                }
                int want = (int) Math.min(scratch.length, Math.min(length - txOffset, budget));
                int n = chain.read(memory, txOffset, scratch, 0, want);
                int taken = backend.write(scratch, 0, n);
                txOffset += taken;
                budget -= taken;
                if (taken < n) {
                    return false; // the backend is full: keep the chain until its listener reports space
                }
            }
            txHeld = false;
            queue.complete(chain.head(), 0); // the device wrote nothing into the chain
        }
        return true; // a queue's worth served: there may be more
    }

    @Override
    public int heldChains(int queue) {
        return (queue == RECEIVEQ ? rxHeld : txHeld) ? 1 : 0;
    }

    @Override
    public Optional<SavedStateBlob> saveState() {
        return Optional.of(ConsoleState.FORMAT.save(new ConsoleState(txHeld ? txOffset : txResumeAt)));
    }

    @Override
    public void restoreState(SavedStateBlob state) {
        ConsoleState s = ConsoleState.FORMAT.restore(state);
        rxHeld = false; // the held chains are back in the rings
        txHeld = false;
        txOffset = 0;
        txResumeAt = s.txSent();
        inputSignal = true;
        outputSignal = true;
    }

    @Override
    public void reset() {
        // §2.4: the chains the device held belong to the old rings; forget them
        rxHeld = false;
        txHeld = false;
        txOffset = 0;
        txResumeAt = 0;
        inputSignal = true;
        outputSignal = true;
    }
}
