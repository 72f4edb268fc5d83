package io.jvmm.dev.debugcon;

import io.jvmm.api.device.Capabilities;
import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.DeviceLifecycle;
import io.jvmm.api.device.DeviceWaker;
import io.jvmm.api.device.IoRegion;
import io.jvmm.api.device.IoResult;
import io.jvmm.api.device.PollDevice;
import io.jvmm.api.device.PortIoIntercept;
import io.jvmm.api.device.SaveRestore;
import io.jvmm.api.device.SavedStateBlob;
import io.jvmm.api.serial.SerialBackend;
import java.util.List;

/**
 * One output byte at an I/O port. Writes are queued in a bounded buffer (overflow is dropped and
 * counted, never back-pressured: debugcon has no status register a guest could wait on) and
 * drained to the backend by {@link #pollNow()}. Reads return 0xE9, the bochs detection value.
 * No interrupt, no input; the saved state is the output not yet taken ({@link DebugconState}).
 */
final class DebugconDevice implements ChipsetDevice, PortIoIntercept, DeviceLifecycle, SaveRestore {
    private final Capabilities capabilities = Capabilities.builder().portIo(this).pollDevice(this::pollNow).lifecycle(this).savedState(this).build();

    @Override
    public Capabilities capabilities() {
        return capabilities;
    }

    /** What a read returns, so guests can detect the port. */
    static final int DETECT = 0xE9;
    /** Bytes held for a slow backend before new ones are dropped. */
    static final int BUFFER_SIZE = 64 * 1024;
    /** The one-port region it declares. */
    static final String REGION = "debugcon";

    private static final System.Logger LOG = System.getLogger(DebugconDevice.class.getName());

    private final String name;
    private final List<IoRegion> regions;
    private final SerialBackend backend;
    private final DeviceWaker waker;

    private final byte[] buffer = new byte[BUFFER_SIZE];
    private int head;
    private int size;
    private long dropped;
    private boolean backendFailed;

    DebugconDevice(String name, int port, SerialBackend backend, DeviceWaker waker) {
        this.name = name;
        this.regions = List.of(new IoRegion(REGION, port, 1));
        this.backend = backend;
        this.waker = waker;
    }

    @Override
    public List<IoRegion> pioRegions() {
        return regions;
    }

    @Override
    public IoResult ioRead(int region, int offset, byte[] data) {
        IoResult check = check(data);
        if (check != IoResult.OK) {
            return check;
        }
        data[0] = (byte) DETECT;
        return IoResult.OK;
    }

    @Override
    public IoResult ioWrite(int region, int offset, byte[] data) {
        IoResult check = check(data);
        if (check != IoResult.OK) {
            return check;
        }
        if (size == buffer.length) {
            dropped++;
            return IoResult.OK;
        }
        buffer[(head + size) % buffer.length] = data[0];
        size++;
        waker.wake();
        return IoResult.OK;
    }

    private static IoResult check(byte[] data) {
        return data.length == 1 ? IoResult.OK : IoResult.INVALID_ACCESS_SIZE;
    }

    /** The {@link PollDevice} work: runs on the board's device thread. */
    void pollNow() {
        try {
            while (size > 0) {
                int run = Math.min(size, buffer.length - head);
                int n = Math.max(0, Math.min(run, backend.write(buffer, head, run)));
                if (n == 0) {
                    return; // the backend's listener wakes us when it has room
                }
                head = (head + n) % buffer.length;
                size -= n;
            }
            head = 0;
        } catch (RuntimeException e) {
            dropped += size;
            head = 0;
            size = 0;
            if (!backendFailed) {
                backendFailed = true;
                LOG.log(System.Logger.Level.WARNING, "debugcon '" + name + "': backend failed (" + e + "); output dropped");
            }
        }
    }

    /** Bytes dropped because the buffer was full or the backend failed. */
    long dropped() {
        return dropped;
    }

    int buffered() {
        return size;
    }

    /** Power-on: nothing pending ({@link DebugconState#initial()}). */
    @Override
    public void reset() {
        apply(DebugconState.initial());
    }

    @Override
    public SavedStateBlob save() {
        return DebugconState.FORMAT.save(capture());
    }

    /** Decodes and checks all of {@code blob} first: a bad blob throws and changes nothing. */
    @Override
    public void restore(SavedStateBlob blob) {
        apply(DebugconState.FORMAT.restore(blob));
    }

    DebugconState capture() {
        byte[] pending = new byte[size];
        for (int i = 0; i < size; i++) {
            pending[i] = buffer[(head + i) % buffer.length];
        }
        return new DebugconState(pending);
    }

    /** Makes {@code s} the state; pending output is handed to the backend by the next poll. */
    private void apply(DebugconState s) {
        byte[] pending = s.pending();
        System.arraycopy(pending, 0, buffer, 0, pending.length);
        head = 0;
        size = pending.length;
        if (size > 0) {
            waker.wake();
        }
    }

    @Override
    public String toString() {
        return "debugcon@0x" + Long.toHexString(regions.get(0).start()) + " (" + size + " buffered, " + dropped + " dropped)";
    }
}
