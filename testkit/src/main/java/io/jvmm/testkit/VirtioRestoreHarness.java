package io.jvmm.testkit;

import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.GuestMemoryException;
import io.jvmm.api.device.IoData;
import io.jvmm.api.device.PciCapability;
import io.jvmm.api.device.PciFunction;
import io.jvmm.api.device.PollDevice;
import io.jvmm.api.device.SaveRestore;
import io.jvmm.api.device.SavedStateBlob;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import java.util.zip.CRC32;

/**
 * A guest-like driver for save/restore property tests of a virtio PCI device: it sets the device up
 * (§3.1.1, MSI-X if asked), posts chains whose contents the test makes, notifies (honouring the
 * device's suppression), polls the device as the board's device thread would, reads the ISR and
 * takes used elements, and logs everything the guest sees — used elements with a checksum of the
 * bytes written into them, ISR values, MSIs, whether a kick notified. A test runs the same seeded
 * traffic twice, once straight through and once with a save, a restore into a fresh device on the
 * same guest memory ({@link #switchTo}) and the same traffic after it, and requires the same log and
 * memory.
 *
 * <p>Buffers: descriptor {@code i} of queue {@code q} always has its own {@link #SLOT}-byte buffer,
 * so chains never share bytes; free descriptors are tracked, so completions may come in any order.
 * Queue {@code q}'s rings are at {@code RINGS + q * 0x10000}. Guest memory must be at least
 * {@link #MEMORY} bytes.
 */
public final class VirtioRestoreHarness {
    public static final long RINGS = 0x10000;
    public static final long DATA = 0x100000;
    public static final int SLOT = 0x1000;
    /** The most queue entries one queue may have here. */
    public static final int MAX_QUEUE = 64;
    public static final long MEMORY = DATA + 16L * MAX_QUEUE * SLOT;

    /** What one chain carries: readable segments (each at most {@link #SLOT} bytes), then writable lengths. */
    public record Chain(List<byte[]> readable, int[] writable) {
        public Chain {
            readable = List.copyOf(readable);
            writable = writable.clone();
        }

        public int descriptors() {
            return readable.size() + writable.length;
        }
    }

    /** A used chain and the bytes the device wrote into it (as many as it said). */
    public record UsedChain(int queue, int head, long length, byte[] written) {}

    /** Makes the next chain for a queue, or null when the test posts none there. */
    @FunctionalInterface
    public interface ChainMaker {
        Chain make(Random random, int queue);
    }

    private final FakeGuestMemory memory;
    private FakeBoard board;
    private ChipsetDevice device;
    private final VirtioPciDriver driver;
    private final List<VirtioPciDriver.Queue> queues = new ArrayList<>();
    private final List<Deque<Integer>> free = new ArrayList<>();
    private final List<Map<Integer, int[]>> inUse = new ArrayList<>();
    private final List<String> log = new ArrayList<>();
    private final List<UsedChain> used = new ArrayList<>();
    /** MSIs the old device sent before {@link #switchTo} that no {@link #collect} has logged yet. */
    private final List<FakeBoard.Msi> carried = new ArrayList<>();

    public VirtioRestoreHarness(FakeGuestMemory memory, FakeBoard board, ChipsetDevice device) {
        if (memory.size() < MEMORY) {
            throw new IllegalArgumentException("the harness needs " + MEMORY + " bytes of guest memory");
        }
        this.memory = memory;
        this.board = board;
        this.device = device;
        this.driver = new VirtioPciDriver(function(), memory);
    }

    private PciFunction function() {
        return device.capabilities().pciFunction().orElseThrow();
    }

    private SaveRestore saver() {
        return device.capabilities().savedState().orElseThrow(() -> new AssertionError(device + " has no saved state"));
    }

    public VirtioPciDriver driver() {
        return driver;
    }

    public VirtioPciDriver.Queue queue(int q) {
        return queues.get(q);
    }

    /**
     * Negotiates {@code features}; with {@code msix} (the device must have MSI-X) maps the
     * configuration to vector 0 and queue q to vector q + 1 and enables MSI-X; sets up one queue per
     * size; DRIVER_OK.
     */
    public void start(long features, boolean msix, int... sizes) {
        if (!driver.negotiate(features)) {
            throw new AssertionError("the device refused features 0x" + Long.toHexString(features));
        }
        if (msix) {
            enableMsix(sizes.length + 1);
            driver.writeCommon(0x10, 2, 0);
        }
        for (int q = 0; q < sizes.length; q++) {
            if (sizes[q] > MAX_QUEUE) {
                throw new IllegalArgumentException("queue sizes up to " + MAX_QUEUE);
            }
            if (msix) {
                driver.writeCommon(0x16, 2, q);
                driver.writeCommon(0x1A, 2, q + 1);
            }
            queues.add(driver.setUpQueue(q, sizes[q], RINGS + 0x10000L * q));
            Deque<Integer> f = new ArrayDeque<>();
            for (int i = 0; i < sizes[q]; i++) {
                f.add(i);
            }
            free.add(f);
            inUse.add(new HashMap<>());
        }
        driver.driverOk();
    }

    private void enableMsix(int vectors) {
        PciFunction fn = function();
        List<PciCapability> caps = fn.info().capabilities();
        int cap = -1;
        for (int i = 0; i < caps.size(); i++) {
            if (caps.get(i).id() == 0x11) {
                cap = i;
            }
        }
        if (cap < 0) {
            throw new AssertionError("the device has no MSI-X capability");
        }
        byte[] t = new byte[4];
        fn.capabilityRead(cap, 4, t);
        long table = IoData.get(t);
        int bar = (int) (table & 7);
        long base = table & ~7L;
        for (int v = 0; v < vectors; v++) {
            write(fn, bar, base + 16L * v, 8, 0xFEE0_0000L + 0x1000L * v);
            write(fn, bar, base + 16L * v + 8, 4, 0x30 + v);
            write(fn, bar, base + 16L * v + 12, 4, 0);
        }
        byte[] control = new byte[2];
        IoData.put(control, 1 << 15);
        fn.capabilityWrite(cap, 2, control);
    }

    private static void write(PciFunction fn, int bar, long offset, int len, long value) {
        byte[] b = new byte[len];
        IoData.put(b, value);
        fn.barWrite(bar, offset, b);
    }

    private long slot(int q, int descriptor) {
        return DATA + ((long) q * MAX_QUEUE + descriptor) * SLOT;
    }

    /** Posts {@code chain} on queue {@code q} (no notification); false when too few descriptors are free. */
    public boolean post(int q, Chain chain) {
        Deque<Integer> f = free.get(q);
        int n = chain.descriptors();
        if (n == 0 || n > f.size()) {
            return false;
        }
        int[] ds = new int[n];
        for (int i = 0; i < n; i++) {
            ds[i] = f.poll();
        }
        VirtioPciDriver.Queue queue = queues.get(q);
        try {
            for (int i = 0; i < n; i++) {
                boolean readable = i < chain.readable().size();
                long len;
                if (readable) {
                    byte[] data = chain.readable().get(i);
                    memory.write(slot(q, ds[i]), data, 0, data.length);
                    len = data.length;
                } else {
                    len = chain.writable()[i - chain.readable().size()];
                    memory.zero(slot(q, ds[i]), SLOT); // a fresh buffer: what the device writes shows
                }
                if (len > SLOT) {
                    throw new IllegalArgumentException("a buffer of " + len + " bytes, at most " + SLOT);
                }
                boolean last = i == n - 1;
                queue.writeDescriptor(ds[i], slot(q, ds[i]), len,
                        (readable ? 0 : VirtioPciDriver.DESC_F_WRITE) | (last ? 0 : VirtioPciDriver.DESC_F_NEXT),
                        last ? 0 : ds[i + 1]);
            }
        } catch (GuestMemoryException e) {
            throw new AssertionError(e.getMessage(), e);
        }
        inUse.get(q).put(ds[0], ds);
        queue.publish(ds[0]);
        return true;
    }

    /** Notifies queue {@code q} if the device asked for it; logs whether it did. */
    public void kick(int q) {
        log.add("kick q" + q + " " + queues.get(q).kick());
    }

    public void notifyDevice(int q) {
        queues.get(q).notifyDevice();
    }

    /** What a restored device does by itself: every queue counts as notified. */
    public void notifyEveryQueue() {
        for (int q = 0; q < queues.size(); q++) {
            notifyDevice(q);
        }
    }

    /** One turn of the board's device thread. */
    public void poll() {
        PollDevice p = device.capabilities().pollDevice().orElseThrow();
        p.poll();
    }

    /** Reads the ISR (INTx mode) and the MSIs sent, takes every used element, and logs them. */
    public void collect() {
        log.add("isr " + driver.readIsr());
        List<FakeBoard.Msi> msis = new ArrayList<>(carried);
        carried.clear();
        msis.addAll(board.msis());
        for (FakeBoard.Msi m : msis) {
            log.add("msi " + Long.toHexString(m.address()) + " " + m.data());
        }
        board.clearMsis();
        for (int q = 0; q < queues.size(); q++) {
            for (VirtioPciDriver.Used u : queues.get(q).takeUsed()) {
                int[] ds = inUse.get(q).remove(u.id());
                if (ds == null) {
                    throw new AssertionError("queue " + q + ": used head " + u.id() + " was not available");
                }
                byte[] written = written(q, ds, u.length());
                CRC32 crc = new CRC32();
                crc.update(written);
                log.add("used q" + q + " " + u.id() + " len " + u.length() + " crc " + crc.getValue());
                used.add(new UsedChain(q, u.id(), u.length(), written));
                for (int d : ds) {
                    free.get(q).add(d);
                }
            }
        }
    }

    /** The first {@code length} bytes of the chain's writable buffers. */
    private byte[] written(int q, int[] ds, long length) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        long left = length;
        try {
            for (int d : ds) {
                if (left <= 0) {
                    break;
                }
                long at = slot(q, d);
                if ((memory.read16(RINGS + 0x10000L * q + 16L * d + 12) & VirtioPciDriver.DESC_F_WRITE) == 0) {
                    continue;
                }
                int len = (int) Math.min(left, memory.read32(RINGS + 0x10000L * q + 16L * d + 8));
                byte[] b = new byte[len];
                memory.read(at, b, 0, len);
                out.writeBytes(b);
                left -= len;
            }
        } catch (GuestMemoryException e) {
            throw new AssertionError(e.getMessage(), e);
        }
        return out.toByteArray();
    }

    /** Every chain {@link #collect} found used, in order. */
    public List<UsedChain> used() {
        return List.copyOf(used);
    }

    /**
     * One random guest action: post a chain the maker makes (most often), kick, notify regardless,
     * poll, or collect.
     */
    public void step(Random random, ChainMaker maker) {
        int q = random.nextInt(queues.size());
        int op = random.nextInt(100);
        if (op < 40) {
            Chain c = maker.make(random, q);
            if (c != null) {
                post(q, c);
            }
        } else if (op < 55) {
            kick(q);
        } else if (op < 60) {
            notifyDevice(q);
        } else if (op < 85) {
            poll();
        } else {
            collect();
        }
    }

    /** Kicks every queue and polls until a collect finds nothing more, at most {@code turns} times. */
    public void drain(int turns) {
        for (int i = 0; i < turns; i++) {
            for (int q = 0; q < queues.size(); q++) {
                kick(q);
            }
            poll();
            int before = log.size();
            collect();
            if (log.size() == before + 1 && log.get(before).equals("isr 0")) {
                return;
            }
        }
    }

    public SavedStateBlob save() {
        return saver().save();
    }

    /**
     * Goes on with {@code restored}, a device on {@code restoredBoard} built over the same guest
     * memory, into which the test restored the saved state.
     */
    public void switchTo(FakeBoard restoredBoard, ChipsetDevice restored) {
        carried.addAll(board.msis()); // sent before the snapshot: the guest's APIC has them already
        board.clearMsis();
        this.board = restoredBoard;
        this.device = restored;
        driver.attach(function());
    }

    public void mark(String what) {
        log.add("-- " + what);
    }

    /** Everything the guest saw, in order. */
    public List<String> log() {
        return List.copyOf(log);
    }

    /** The whole guest memory. */
    public byte[] memoryImage() {
        byte[] b = new byte[(int) memory.size()];
        try {
            memory.read(0, b, 0, b.length);
        } catch (GuestMemoryException e) {
            throw new AssertionError(e.getMessage(), e);
        }
        return b;
    }

    // --- hostile blobs ---------------------------------------------------------------------------

    /**
     * Requires that restoring {@code bad} into {@code target} throws an IllegalArgumentException
     * whose message contains {@code expected} (ignoring case), and leaves its saved state as it was.
     */
    public static IllegalArgumentException assertRefused(ChipsetDevice target, SavedStateBlob bad, String expected) {
        SaveRestore s = target.capabilities().savedState().orElseThrow();
        SavedStateBlob before = s.save();
        IllegalArgumentException e;
        try {
            s.restore(bad);
            throw new AssertionError("restoring " + bad + " was accepted; expected a refusal about '" + expected + "'");
        } catch (IllegalArgumentException refused) {
            e = refused;
        }
        if (!e.getMessage().toLowerCase(java.util.Locale.ROOT).contains(expected.toLowerCase(java.util.Locale.ROOT))) {
            throw new AssertionError("the refusal '" + e.getMessage() + "' does not mention '" + expected + "'", e);
        }
        if (!before.equals(s.save())) {
            throw new AssertionError("a refused restore changed the device's state");
        }
        return e;
    }

    /**
     * The blob of another format, a newer version, truncated at every length, and {@code rounds}
     * random corruptions (bytes flipped): each is refused with an IllegalArgumentException leaving the
     * device unchanged, or (a corruption that still makes a valid state) accepted; nothing else is
     * thrown. {@code fresh} gives the device to restore into (a new one after an accepted corruption).
     */
    public static void assertHostileBlobsRefused(SavedStateBlob good, Supplier<ChipsetDevice> fresh, long seed,
            int rounds) {
        ChipsetDevice target = fresh.get();
        assertRefused(target, new SavedStateBlob(good.format() + ".other", good.version(), good.data()), "format");
        assertRefused(target, new SavedStateBlob(good.format(), good.version() + 1, good.data()),
                "version " + (good.version() + 1));
        byte[] data = good.data();
        for (int n = 0; n < data.length; n++) {
            assertRefused(target, new SavedStateBlob(good.format(), good.version(), Arrays.copyOf(data, n)), "");
        }
        Random random = new Random(seed);
        for (int i = 0; i < rounds; i++) {
            byte[] bad = data.clone();
            int flips = 1 + random.nextInt(3);
            for (int f = 0; f < flips; f++) {
                bad[random.nextInt(bad.length)] ^= (byte) (1 << random.nextInt(8));
            }
            SaveRestore s = target.capabilities().savedState().orElseThrow();
            SavedStateBlob before = s.save();
            try {
                s.restore(new SavedStateBlob(good.format(), good.version(), bad));
                target = fresh.get(); // a valid state after all: go on with an untouched device
            } catch (IllegalArgumentException refused) {
                if (!before.equals(s.save())) {
                    throw new AssertionError("a refused restore changed the device's state: " + refused.getMessage());
                }
            }
        }
    }
}
