package io.jvmm.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import io.jvmm.api.device.Capabilities;
import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.DeferredIo;
import io.jvmm.api.device.DeviceLifecycle;
import io.jvmm.api.device.IoResult;
import io.jvmm.api.device.MmioIntercept;
import io.jvmm.api.device.PollDevice;
import io.jvmm.api.device.PortIoIntercept;
import io.jvmm.api.device.SaveRestore;
import io.jvmm.api.device.SavedStateBlob;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Drives one device with a fuzzer-chosen sequence of guest accesses (port I/O and MMIO of width
 * 1, 2, 4 and 8, at addresses in and around its regions), polls, resets, saved-state round trips
 * and corrupted restores, and host-side events, checking after every step that:
 *
 * <ul>
 *   <li>no exception escapes the device (the board would survive one, but it is a device bug);
 *   <li>every access returns a result, and a read leaves a buffer of the requested width;
 *   <li>saving, restoring and saving again gives the same state; a restore of corrupted bytes
 *       either succeeds or throws {@link IllegalArgumentException} and leaves the state unchanged;
 *   <li>the saved state stays below a bound (queues cannot grow without limit);
 *   <li>the device's own invariants hold (interrupt lines agree with its registers, and so on).
 * </ul>
 *
 * Accesses go only where the board would send them: to addresses whose first byte lies in a
 * region the device claimed (a wide access may run past the region's end, as on the real bus).
 * The device sees the same call order as on the board: lifecycle calls only while stopped, polls
 * only while running.
 */
final class DeviceFuzzHarness {
    /** A host-side event chosen by the fuzzer: serial input, a key, a battery update, time passing. */
    @FunctionalInterface
    interface HostEvent {
        void apply(FuzzedDataProvider data);
    }

    /** A check of the device's own rules; throws {@link AssertionError} naming what broke. */
    @FunctionalInterface
    interface Invariant {
        void check(String afterStep);
    }

    /** Checks the bytes a successful read returned. */
    @FunctionalInterface
    interface ReadCheck {
        void check(long address, byte[] data);
    }

    /** A guest access sequence with a built-in expectation (e.g. read the interrupt flags register). */
    @FunctionalInterface
    interface Probe {
        void run(FuzzedDataProvider data);
    }

    private static final int[] WIDTHS = {1, 2, 4, 8};
    /** How far before and after a region the fuzzer aims. */
    private static final int AROUND = 8;
    static final int MAX_STEPS = 2000;

    private final String name;
    private final ChipsetDevice device;
    private final FuzzBoard board;
    private final PortIoIntercept pio;
    private final MmioIntercept mmio;
    private final PollDevice poll;
    private final DeviceLifecycle lifecycle;
    private final SaveRestore state;
    private HostEvent hostEvent = data -> { };
    private Invariant invariant = step -> { };
    private ReadCheck pioReadCheck = (a, d) -> { };
    private ReadCheck mmioReadCheck = (a, d) -> { };
    private Probe probe;
    private int maxStateBytes = 1 << 20;
    private boolean running;
    private String lastStep = "build";

    DeviceFuzzHarness(String name, ChipsetDevice device, FuzzBoard board) {
        this.name = name;
        this.device = Objects.requireNonNull(device, "device");
        this.board = board;
        Capabilities caps = device.capabilities();
        this.pio = caps.portIo().orElse(null);
        this.mmio = caps.mmio().orElse(null);
        this.poll = caps.pollDevice().orElse(null);
        this.lifecycle = caps.lifecycle().orElse(null);
        this.state = caps.savedState().orElse(null);
    }

    DeviceFuzzHarness hostEvent(HostEvent e) {
        this.hostEvent = e;
        return this;
    }

    DeviceFuzzHarness invariant(Invariant i) {
        this.invariant = i;
        return this;
    }

    DeviceFuzzHarness pioReads(ReadCheck c) {
        this.pioReadCheck = c;
        return this;
    }

    DeviceFuzzHarness mmioReads(ReadCheck c) {
        this.mmioReadCheck = c;
        return this;
    }

    DeviceFuzzHarness probe(Probe p) {
        this.probe = p;
        return this;
    }

    DeviceFuzzHarness maxStateBytes(int bound) {
        this.maxStateBytes = bound;
        return this;
    }

    /** Starts the device (and polls it once, as the runner does), then runs steps until the input ends. */
    void run(FuzzedDataProvider data) {
        step("start", this::start);
        for (int steps = 0; steps < MAX_STEPS && data.remainingBytes() > 0; steps++) {
            int op = data.consumeInt(0, 15);
            switch (op) {
                case 0, 1, 2 -> access(data, false, true);
                case 3, 4, 5 -> access(data, false, false);
                case 6, 7 -> access(data, true, true);
                case 8, 9 -> access(data, true, false);
                case 10 -> step("poll", this::pollOnce);
                case 11, 12 -> step("host event", () -> hostEvent.apply(data));
                case 13 -> step("reset", this::resetCycle);
                case 14 -> {
                    boolean corrupt = data.consumeBoolean();
                    step(corrupt ? "restore of corrupted state" : "save/restore", () -> saveRestore(data, corrupt));
                }
                default -> {
                    if (probe != null) {
                        step("probe", () -> probe.run(data));
                    } else {
                        step("poll", this::pollOnce);
                    }
                }
            }
        }
    }

    private void step(String what, Runnable action) {
        lastStep = what;
        try {
            action.run();
        } catch (AssertionError e) {
            throw e;
        } catch (RuntimeException e) {
            throw new AssertionError(name + ": exception escaped the device during " + what, e);
        }
        invariant.check(what);
    }

    private void start() {
        if (lifecycle != null) {
            lifecycle.start();
        }
        running = true;
        pollOnce();
    }

    private void stop() {
        if (lifecycle != null) {
            lifecycle.stop();
        }
        running = false;
    }

    private void pollOnce() {
        if (poll != null && running) {
            poll.poll();
        }
    }

    private void resetCycle() {
        stop();
        if (lifecycle != null) {
            lifecycle.reset();
        }
        start();
    }

    private void access(FuzzedDataProvider data, boolean mmioSpace, boolean read) {
        List<FuzzBoard.Claim> claims = mmioSpace ? board.mmio : board.pio;
        if (claims.isEmpty()) {
            return;
        }
        FuzzBoard.Claim c = claims.get(data.consumeInt(0, claims.size() - 1));
        long anchor = data.consumeBoolean() ? c.start() : c.end();
        long address = anchor + data.consumeInt(-AROUND, AROUND);
        if (!mmioSpace) {
            address &= 0xFFFF; // ports wrap like the board's
        }
        int width = WIDTHS[data.consumeInt(0, WIDTHS.length - 1)];
        byte[] buffer = new byte[width];
        FuzzBoard.Claim target = routedHere(claims, address);
        if (target == null) {
            return; // the board sends this access elsewhere
        }
        if (read) {
            Arrays.fill(buffer, (byte) 0x5A);
        } else {
            for (int i = 0; i < width; i++) {
                buffer[i] = data.consumeByte();
            }
        }
        long a = address;
        String what = (mmioSpace ? "mmio " : "pio ") + (read ? "read" : "write") + " at 0x"
                + Long.toHexString(address) + " width " + width;
        step(what, () -> {
            IoResult result;
            // As the board does: the region holding the first byte, and the offset within it.
            long offset = a - target.start();
            if (mmioSpace) {
                result = read ? mmio.mmioRead(target.index(), offset, buffer)
                        : mmio.mmioWrite(target.index(), offset, buffer);
            } else {
                result = read ? pio.ioRead(target.index(), (int) offset, buffer)
                        : pio.ioWrite(target.index(), (int) offset, buffer);
            }
            checkResult(what, result, buffer, width);
            if (read && result == IoResult.OK) {
                (mmioSpace ? mmioReadCheck : pioReadCheck).check(a, buffer);
            }
        });
    }

    /** The claim holding {@code address}, or null. */
    static FuzzBoard.Claim routedHere(List<FuzzBoard.Claim> claims, long address) {
        for (FuzzBoard.Claim c : claims) {
            if (c.contains(address)) {
                return c;
            }
        }
        return null;
    }

    /** A port access the way the board routes it, for probes and invariants. */
    static IoResult pioAccess(ChipsetDevice device, FuzzBoard board, boolean read, int port, byte[] data) {
        FuzzBoard.Claim c = routedHere(board.pio, port);
        if (c == null) {
            throw new AssertionError("no region of the device holds port 0x" + Integer.toHexString(port));
        }
        PortIoIntercept p = device.capabilities().portIo().orElseThrow();
        int offset = (int) (port - c.start());
        return read ? p.ioRead(c.index(), offset, data) : p.ioWrite(c.index(), offset, data);
    }

    /** An MMIO access the way the board routes it, for probes and invariants. */
    static IoResult mmioAccess(ChipsetDevice device, FuzzBoard board, boolean read, long address, byte[] data) {
        FuzzBoard.Claim c = routedHere(board.mmio, address);
        if (c == null) {
            throw new AssertionError("no region of the device holds MMIO address 0x" + Long.toHexString(address));
        }
        MmioIntercept m = device.capabilities().mmio().orElseThrow();
        return read ? m.mmioRead(c.index(), address - c.start(), data) : m.mmioWrite(c.index(), address - c.start(), data);
    }

    private void checkResult(String what, IoResult result, byte[] buffer, int width) {
        if (result == null) {
            throw new AssertionError(name + ": " + what + " returned null instead of an IoResult");
        }
        if (result instanceof DeferredIo) {
            throw new AssertionError(name + ": " + what + " deferred; no chipset device here completes later");
        }
        if (buffer.length != width) {
            throw new AssertionError(name + ": " + what + " changed the buffer length");
        }
    }

    private void saveRestore(FuzzedDataProvider data, boolean corrupt) {
        if (state == null) {
            return;
        }
        stop();
        SavedStateBlob before = state.save();
        checkBound(before);
        if (!corrupt) {
            state.restore(before);
            SavedStateBlob again = state.save();
            if (!again.equals(before)) {
                throw new AssertionError(name + ": restore(save()) changed the state: " + before + " became " + again
                        + "\n" + hex(before.data()) + "\n" + hex(again.data()));
            }
        } else {
            SavedStateBlob bad = corrupt(before, data);
            try {
                state.restore(bad);
            } catch (IllegalArgumentException expected) {
                SavedStateBlob after = state.save();
                if (!after.equals(before)) {
                    throw new AssertionError(name + ": a rejected restore (" + expected.getMessage()
                            + ") changed the state:\n" + hex(before.data()) + "\n" + hex(after.data()));
                }
            }
        }
        start();
    }

    private static SavedStateBlob corrupt(SavedStateBlob blob, FuzzedDataProvider data) {
        byte[] bytes = blob.data();
        switch (data.consumeInt(0, 5)) {
            case 0 -> {
                if (bytes.length > 0) {
                    bytes[data.consumeInt(0, bytes.length - 1)] = data.consumeByte();
                }
            }
            case 1 -> bytes = Arrays.copyOf(bytes, data.consumeInt(0, bytes.length));
            case 2 -> {
                byte[] extra = data.consumeBytes(16);
                byte[] longer = Arrays.copyOf(bytes, bytes.length + extra.length);
                System.arraycopy(extra, 0, longer, bytes.length, extra.length);
                bytes = longer;
            }
            case 3 -> {
                return new SavedStateBlob(blob.format(), data.consumeInt(), bytes);
            }
            case 4 -> {
                return new SavedStateBlob(data.consumeAsciiString(24), blob.version(), bytes);
            }
            default -> bytes = data.consumeBytes(Math.max(1, bytes.length + 8));
        }
        return new SavedStateBlob(blob.format(), blob.version(), bytes);
    }

    private void checkBound(SavedStateBlob blob) {
        if (blob.data().length > maxStateBytes) {
            throw new AssertionError(name + ": saved state grew to " + blob.data().length + " bytes (bound "
                    + maxStateBytes + ") after " + lastStep);
        }
    }

    /** Saves the state (stopping and restarting the device around it, as the VM does). */
    SavedStateBlob snapshot() {
        if (state == null) {
            throw new AssertionError(name + " has no saved state");
        }
        boolean wasRunning = running;
        stop();
        SavedStateBlob blob = state.save();
        checkBound(blob);
        if (wasRunning) {
            if (lifecycle != null) {
                lifecycle.start();
            }
            running = true;
        }
        return blob;
    }

    static String hex(byte[] bytes) {
        StringBuilder sb = new StringBuilder();
        for (byte b : bytes) {
            sb.append(String.format("%02x", b & 0xFF));
        }
        return sb.toString();
    }
}
