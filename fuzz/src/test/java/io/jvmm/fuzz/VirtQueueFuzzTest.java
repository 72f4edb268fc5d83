package io.jvmm.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.jvmm.api.device.GuestMemoryException;
import io.jvmm.api.device.LineSets;
import io.jvmm.api.device.PciAddress;
import io.jvmm.api.device.PciPlatform;
import io.jvmm.testkit.FakeBoard;
import io.jvmm.testkit.FakeGuestMemory;
import io.jvmm.testkit.VirtioPciDriver;
import io.jvmm.virtio.DescriptorChain;
import io.jvmm.virtio.VirtQueue;
import io.jvmm.virtio.VirtQueueException;
import io.jvmm.virtio.VirtioDevice;
import io.jvmm.virtio.VirtioPciDevice;

/**
 * The split-virtqueue parser of virtio-core (descriptor chains, indirect tables, the driver and
 * device rings) behind its modern PCI transport, fed by a hostile driver: a 64 KiB guest whose RAM,
 * descriptors (direct and indirect), driver-ring entries, indices and flags and the transport's
 * common-configuration registers the input writes at will, with notifications, polls, ISR reads
 * and resets in between. A probe device pops every chain it is offered and checks it:
 *
 * <ul>
 *   <li>nothing but a {@link VirtQueueException} comes out of the parser (a runtime exception would
 *       be swallowed by the transport as a device error, so the probe turns it into a finding);
 *   <li>a chain it returns is usable: reading all its readable bytes and writing into its writable
 *       ones at any offset moves exactly the bytes the lengths promise and never fails (every buffer
 *       was checked to be RAM), and returning it to the used ring never fails;
 *   <li>after a protocol violation the device reports DEVICE_NEEDS_RESET with INTx asserted, and no
 *       queue is processed again until the driver resets it;
 *   <li>with VIRTIO_F_EVENT_IDX (negotiated at random, its used_event written and read by the input
 *       and the driver's {@code kick} honouring avail_event), a device that stopped processing has
 *       asked for a notification at the driver's current index, so no buffer can go unnoticed.
 * </ul>
 *
 * Without {@code JAZZER_FUZZ=1} (i.e. in {@code mvn verify}) it replays the committed inputs under
 * {@code VirtQueueFuzzTestInputs/splitVirtqueue/}.
 */
class VirtQueueFuzzTest {
    private static final int RAM = 0x10000;
    private static final int SLOT = 4;
    private static final int MAX_QUEUE = 64;
    private static final int MAX_STEPS = 256;

    /** Pops chains and checks each; throws AssertionError (which the transport lets through) on a finding. */
    private static final class Probe implements VirtioDevice {
        private final FakeGuestMemory ram;
        private final byte[] scratch = new byte[4096];
        FuzzedDataProvider data;
        VirtioPciDevice transport;
        boolean violation;
        int chains;
        /** The queue of the last process call and what that call returned. */
        VirtQueue last;
        boolean lastAgain;

        Probe(FakeGuestMemory ram) {
            this.ram = ram;
        }

        @Override
        public int deviceId() {
            return 0x3F; // no real device type: the probe is not one
        }

        @Override
        public long features() {
            return 0;
        }

        @Override
        public int queueCount() {
            return 1;
        }

        @Override
        public int maxQueueSize(int queue) {
            return MAX_QUEUE;
        }

        @Override
        public boolean process(VirtQueue queue, long acked) throws VirtQueueException {
            if ((transport.status() & VirtioPciDevice.STATUS_DEVICE_NEEDS_RESET) != 0) {
                throw new AssertionError("a queue was processed while the device needs a reset");
            }
            last = queue;
            lastAgain = true; // until it returns normally
            int budget = data.consumeInt(0, 2 * queue.size());
            for (int i = 0; i < budget; i++) {
                boolean popped;
                try {
                    popped = queue.next();
                } catch (VirtQueueException e) {
                    violation = true;
                    throw e;
                } catch (RuntimeException e) {
                    throw new AssertionError("the parser threw " + e, e);
                }
                if (!popped) {
                    lastAgain = false;
                    return false;
                }
                serve(queue, queue.chain());
            }
            lastAgain = data.consumeBoolean();
            return lastAgain;
        }

        private void serve(VirtQueue queue, DescriptorChain chain) {
            chains++;
            if (chain.count() < 1 || chain.head() < 0 || chain.head() >= queue.size()) {
                throw new AssertionError("chain head " + chain.head() + " with " + chain.count()
                        + " buffers in a queue of " + queue.size());
            }
            try {
                long readable = chain.readableLength();
                long at = readable == 0 ? 0 : data.consumeLong(0, readable - 1);
                int want = (int) Math.min(scratch.length, readable - at);
                int got = chain.read(ram, at, scratch, 0, want);
                if (got != want) {
                    throw new AssertionError("read " + got + " of " + want + " readable bytes from offset " + at
                            + " (readable " + readable + ")");
                }
                long writable = chain.writableLength();
                long wat = data.consumeLong(0, writable + 16);
                int n = data.consumeInt(0, scratch.length);
                int put = chain.write(ram, wat, scratch, 0, n);
                long fits = Math.max(0, Math.min(n, writable - wat));
                if (put != fits) {
                    throw new AssertionError("wrote " + put + " of " + n + " bytes at offset " + wat
                            + " into " + writable + " writable bytes");
                }
                queue.complete(chain.head(), put);
            } catch (VirtQueueException e) {
                throw new AssertionError("a chain the parser accepted failed: " + e.getMessage(), e);
            } catch (RuntimeException e) {
                throw new AssertionError("serving a chain threw " + e, e);
            }
        }
    }

    @FuzzTest(maxDuration = "5m")
    void splitVirtqueue(FuzzedDataProvider data) throws Exception {
        FakeGuestMemory ram = new FakeGuestMemory(RAM);
        FakeBoard board = new FakeBoard().withGuestMemory(ram);
        Probe probe = new Probe(ram);
        probe.data = data;
        VirtioPciDevice dev = new VirtioPciDevice("probe", new PciAddress(0, SLOT, 0), probe, board);
        probe.transport = dev;
        int gsi = PciPlatform.intxGsi(SLOT, 0);
        VirtioPciDriver driver = new VirtioPciDriver(dev, ram);
        Setup q = setUp(data, driver);
        for (int step = 0; step < MAX_STEPS && data.remainingBytes() > 0; step++) {
            switch (data.consumeInt(0, 13)) {
                case 0 -> { // any bytes anywhere in RAM (rings, tables, buffers)
                    int at = data.consumeInt(0, RAM - 1);
                    byte[] b = data.consumeBytes(Math.min(32, RAM - at));
                    ram.write(at, b, 0, b.length);
                }
                case 1 -> q.queue.writeDescriptor(data.consumeInt(0, q.size - 1), address(data), length(data),
                        flags(data), next(data, q.size));
                case 2 -> { // a descriptor in an indirect table somewhere in RAM
                    long at = data.consumeInt(0, RAM / 16 - 1) * 16L;
                    q.queue.writeDescriptorAt(at, address(data), length(data), flags(data), next(data, q.size));
                }
                case 11 -> wellFormedChain(data, q); // the mutations then bend it
                case 12 -> q.queue.setUsedEvent(data.consumeInt(0, 0xFFFF));
                case 13 -> { // notify only if the device asked (avail_event / NO_NOTIFY), as Linux does
                    if (q.queue.kick()) {
                        poll(dev, probe, board, gsi, ram, q, driver);
                    }
                }
                case 3 -> q.queue.publish(data.consumeBoolean() ? data.consumeInt(0, q.size - 1)
                        : data.consumeInt(0, 0xFFFF));
                case 4 -> q.queue.setAvailIndex(data.consumeInt(0, 0xFFFF));
                case 5 -> ram.write16(q.avail, data.consumeInt(0, 0xFFFF)); // driver ring flags
                case 6 -> {
                    q.queue.notifyDevice();
                    poll(dev, probe, board, gsi, ram, q, driver);
                }
                case 7 -> poll(dev, probe, board, gsi, ram, q, driver);
                case 8 -> driver.readIsr();
                case 9 -> q = setUp(data, driver); // reset, new features, new rings
                default -> { // any common-configuration register, as a hostile driver writes it
                    int width = 1 << data.consumeInt(0, 3);
                    int offset = data.consumeInt(0, VirtioPciDevice.COMMON_LENGTH - width);
                    driver.writeCommon(offset, width, data.consumeLong());
                }
            }
        }
    }

    /** A buffer address: mostly in or near RAM, sometimes anything. */
    private static long address(FuzzedDataProvider data) {
        return data.consumeInt(0, 7) != 0 ? data.consumeLong(0, RAM + 0x100) : data.consumeLong();
    }

    /** A buffer length: mostly small, sometimes anything up to 4 GiB - 1. */
    private static long length(FuzzedDataProvider data) {
        return data.consumeInt(0, 7) != 0 ? data.consumeLong(0, 0x1000) : data.consumeLong(0, 0xFFFF_FFFFL);
    }

    /** Descriptor flags: mostly NEXT/WRITE/INDIRECT combinations, sometimes any 16 bits. */
    private static int flags(FuzzedDataProvider data) {
        return data.consumeInt(0, 7) != 0 ? data.consumeInt(0, 7) : data.consumeInt(0, 0xFFFF);
    }

    /** A next index: mostly within the queue, sometimes any 16 bits. */
    private static int next(FuzzedDataProvider data, int size) {
        return data.consumeInt(0, 7) != 0 ? data.consumeInt(0, size - 1) : data.consumeInt(0, 0xFFFF);
    }

    /**
     * Readable then writable buffers in RAM, linked from a fuzzed first descriptor (or put in an
     * indirect table), and published: the shape a real driver makes.
     */
    private static void wellFormedChain(FuzzedDataProvider data, Setup q) {
        int n = data.consumeInt(1, Math.min(4, q.size));
        int readable = data.consumeInt(0, n);
        boolean indirect = data.consumeBoolean();
        long table = data.consumeInt(0, RAM / 16 - n) * 16L;
        int head = data.consumeInt(0, q.size - 1);
        for (int k = 0; k < n; k++) {
            int flags = (k < readable ? 0 : VirtioPciDriver.DESC_F_WRITE) | (k < n - 1 ? VirtioPciDriver.DESC_F_NEXT : 0);
            long addr = data.consumeInt(0, RAM - 0x100);
            long len = data.consumeInt(0, 0x100);
            if (indirect) {
                q.queue.writeDescriptorAt(table + 16L * k, addr, len, flags, k + 1);
            } else {
                q.queue.writeDescriptor((head + k) % q.size, addr, len, flags, (head + k + 1) % q.size);
            }
        }
        if (indirect) {
            q.queue.writeDescriptor(head, table, 16L * n, VirtioPciDriver.DESC_F_INDIRECT, 0);
        }
        q.queue.publish(head);
    }

    /** Whether queue 0 still uses the rings of {@code q} (hostile register writes may have moved them). */
    private static boolean sameRings(VirtioPciDriver driver, Setup q) {
        long select = driver.readCommon(0x16, 2);
        driver.writeCommon(0x16, 2, 0);
        boolean same = driver.readCommon(0x18, 2) == q.size && driver.readCommon(0x28, 8) == q.avail
                && driver.readCommon(0x30, 8) == q.used;
        driver.writeCommon(0x16, 2, select);
        return same;
    }

    private static void poll(VirtioPciDevice dev, Probe probe, FakeBoard board, int gsi, FakeGuestMemory ram, Setup q,
            VirtioPciDriver driver)
            throws GuestMemoryException {
        probe.violation = false;
        probe.last = null;
        dev.poll();
        if (probe.last != null && !probe.violation && !probe.lastAgain && probe.last.eventIdx()
                && (dev.status() & VirtioPciDevice.STATUS_DEVICE_NEEDS_RESET) == 0 && sameRings(driver, q)) {
            // the device stopped: it must want a notification for the next buffer (§2.7.10)
            int availIdx = ram.read16(q.avail + 2);
            int availEvent = ram.read16(q.used + 4 + 8L * q.size);
            if (availEvent != availIdx) {
                throw new AssertionError("the device stopped with avail_event " + availEvent + " while the driver"
                        + " index is " + availIdx + ": the next buffer would not be notified");
            }
        }
        if (probe.violation) {
            if ((dev.status() & VirtioPciDevice.STATUS_DEVICE_NEEDS_RESET) == 0) {
                throw new AssertionError("a protocol violation did not set DEVICE_NEEDS_RESET");
            }
            if (!board.lineLevel(LineSets.IRQ, gsi)) {
                throw new AssertionError("a protocol violation did not raise the configuration interrupt");
            }
        }
    }

    private record Setup(VirtioPciDriver.Queue queue, int size, long avail, long used) {}

    private static Setup setUp(FuzzedDataProvider data, VirtioPciDriver driver) throws GuestMemoryException {
        long features = VirtioPciDriver.F_VERSION_1 | (data.consumeBoolean() ? VirtioPciDriver.F_RING_INDIRECT_DESC : 0)
                | (data.consumeBoolean() ? VirtioPciDriver.F_EVENT_IDX : 0);
        driver.negotiate(data.consumeInt(0, 15) == 0 ? data.consumeLong() : features);
        int size = 1 << data.consumeInt(0, 6);
        long base = data.consumeInt(0, (RAM - 0x800) / 16 - 1) * 16L;
        VirtioPciDriver.Queue queue = driver.setUpQueue(0, size, base);
        driver.driverOk();
        long avail = base + 16L * size;
        return new Setup(queue, size, avail, (avail + 6 + 2L * size + 3) & ~3L);
    }
}
