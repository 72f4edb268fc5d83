package io.jvmm.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.PciFunction;
import io.jvmm.api.handles.VirtioBlkHandle;
import io.jvmm.dev.virtioblk.VirtioBlkResolver;
import io.jvmm.testkit.FakeBoard;
import io.jvmm.testkit.FakeGuestMemory;
import io.jvmm.testkit.VirtioPciDriver;
import io.jvmm.virtio.VirtioPciDevice;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * virtio-blk's request parser (dev-virtio-blk, resolved through its resolver on a real 64 KiB image
 * file) fed by a hostile driver: requests of any type and sector, headers split or cut short, data
 * buffers of any count, length and direction, status bytes missing, on a read-only or read-write
 * image, with polls and resets in between. Checks, for every request the device returns:
 *
 * <ul>
 *   <li>nothing escapes the device (a runtime exception would become DEVICE_NEEDS_RESET, which a
 *       driver whose buffers are all in RAM and in order never deserves: a finding);
 *   <li>its status byte is OK, IOERR or UNSUPP, and the used length counts at most the writable bytes;
 *   <li>a read from the read-only image that reports OK delivered exactly the image's bytes;
 *   <li>a read-only image never changes, and no image ever changes its size.
 * </ul>
 *
 * Without {@code JAZZER_FUZZ=1} (i.e. in {@code mvn verify}) it replays the committed inputs under
 * {@code VirtioBlkFuzzTestInputs/blockRequests/}.
 */
class VirtioBlkFuzzTest {
    private static final int RAM = 0x40000;
    private static final int SLOT = 6;
    private static final int QUEUE = 16;
    private static final int IMAGE = 64 * 1024;
    private static final long RINGS = 0;
    private static final long HEADERS = 0x1000;
    private static final long BUFFERS = 0x2000;
    private static final int MAX_STEPS = 64;
    private static final int[] TYPES = {0, 1, 4, 8, 11, 13};

    /** One request as the driver built it. */
    private record Req(int type, long sector, long[] bufAddr, int[] bufLen, int readable, long statusAt) {}

    @FuzzTest(maxDuration = "5m")
    void blockRequests(FuzzedDataProvider data) throws Exception {
        Path dir = Files.createTempDirectory("jvmm-blk-fuzz");
        Path image = dir.resolve("disk.img");
        try {
            byte[] content = new byte[IMAGE];
            new Random(data.consumeInt()).nextBytes(content);
            Files.write(image, content);
            boolean readOnly = data.consumeBoolean();
            FakeGuestMemory ram = new FakeGuestMemory(RAM);
            FakeBoard board = new FakeBoard().withGuestMemory(ram);
            ChipsetDevice device = new VirtioBlkResolver().resolve(
                    new VirtioBlkHandle(image.toString(), readOnly, SLOT, "fuzz"), board.context("virtio-blk"));
            PciFunction function = device.capabilities().pciFunction().orElseThrow();
            // the image stays open until its channel is collected: a device has no close (see VirtioBlkResolver)
            run(data, ram, (VirtioPciDevice) device, new VirtioPciDriver(function, ram), image, content, readOnly);
        } finally {
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    private static void run(FuzzedDataProvider data, FakeGuestMemory ram, VirtioPciDevice dev, VirtioPciDriver driver,
            Path image, byte[] content, boolean readOnly) throws Exception {
        long features = VirtioPciDriver.F_VERSION_1 | (data.consumeLong() & driver.deviceFeatures() & 0xFFFF_FFFFL);
        driver.negotiate(features);
        VirtioPciDriver.Queue q = driver.setUpQueue(0, QUEUE, RINGS);
        driver.driverOk();
        Map<Integer, Req> inFlight = new HashMap<>();
        int nextDesc = 0;
        int slot = 0;
        for (int step = 0; step < MAX_STEPS && data.remainingBytes() > 0; step++) {
            switch (data.consumeInt(0, 3)) {
                case 0, 1 -> {
                    int n = data.consumeInt(1, 5);
                    if (inFlight.size() + 1 > QUEUE / 5) {
                        break;
                    }
                    Req r = request(data, ram, slot++ % 8, n);
                    int head = nextDesc;
                    for (int k = 0; k < n; k++) {
                        int i = (head + k) % QUEUE;
                        int flags = (k >= r.readable ? VirtioPciDriver.DESC_F_WRITE : 0)
                                | (k < n - 1 ? VirtioPciDriver.DESC_F_NEXT : 0);
                        q.writeDescriptor(i, r.bufAddr[k], r.bufLen[k], flags, (i + 1) % QUEUE);
                    }
                    nextDesc = (head + n) % QUEUE;
                    q.publish(head);
                    inFlight.put(head, r);
                }
                case 2 -> {
                    q.notifyDevice();
                    dev.poll();
                    check(ram, dev, q.takeUsed(), inFlight, content, readOnly);
                }
                default -> {
                    dev.poll(); // another turn without a notification
                    check(ram, dev, q.takeUsed(), inFlight, content, readOnly);
                }
            }
        }
        q.notifyDevice();
        for (int i = 0; i < 4; i++) {
            dev.poll();
        }
        check(ram, dev, q.takeUsed(), inFlight, content, readOnly);
        byte[] after = Files.readAllBytes(image);
        if (after.length != IMAGE) {
            throw new AssertionError("the image changed its size to " + after.length);
        }
        if (readOnly && !Arrays.equals(after, content)) {
            throw new AssertionError("a read-only image changed");
        }
    }

    /** A request's buffers: the first {@code readable} device-readable, the rest writable, in RAM. */
    private static Req request(FuzzedDataProvider data, FakeGuestMemory ram, int slot, int n) throws Exception {
        int type = data.consumeBoolean() ? TYPES[data.consumeInt(0, TYPES.length - 1)] : data.consumeInt();
        long sector = data.consumeInt(0, 3) != 0 ? data.consumeLong(0, IMAGE / 512 + 2) : data.consumeLong();
        long hdr = HEADERS + 0x100L * slot;
        ram.write32(hdr, type);
        ram.write32(hdr + 4, data.consumeInt());
        ram.write64(hdr + 8, sector);
        int readable = data.consumeInt(0, n);
        long[] addr = new long[n];
        int[] len = new int[n];
        long base = BUFFERS + 0x6000L * slot;
        long used = 0;
        for (int k = 0; k < n; k++) {
            int l;
            if (k == 0 && readable > 0 && data.consumeBoolean()) {
                l = data.consumeInt(0, 1) == 0 ? 16 : data.consumeInt(0, 20); // the header, maybe cut short
                addr[k] = hdr;
            } else {
                l = switch (data.consumeInt(0, 3)) {
                    case 0 -> 1;
                    case 1 -> 512 * data.consumeInt(0, 8);
                    case 2 -> 16 * data.consumeInt(1, 4); // discard/write-zeroes ranges
                    default -> data.consumeInt(0, 0x1000);
                };
                l = (int) Math.min(l, 0x6000 - used);
                addr[k] = base + used;
                byte[] fill = data.consumeBytes(Math.min(l, 32));
                ram.write(addr[k], fill, 0, fill.length);
                used += l;
            }
            len[k] = l;
        }
        long statusAt = -1;
        for (int k = n - 1; k >= readable; k--) {
            if (len[k] > 0) {
                statusAt = addr[k] + len[k] - 1;
                break;
            }
        }
        return new Req(type, sector, addr, len, readable, statusAt);
    }

    private static void check(FakeGuestMemory ram, VirtioPciDevice dev, List<VirtioPciDriver.Used> used,
            Map<Integer, Req> inFlight, byte[] content, boolean readOnly) throws Exception {
        if ((dev.status() & VirtioPciDevice.STATUS_DEVICE_NEEDS_RESET) != 0) {
            throw new AssertionError("well-formed chains put the device in DEVICE_NEEDS_RESET");
        }
        for (VirtioPciDriver.Used u : used) {
            Req r = inFlight.remove(u.id());
            if (r == null) {
                throw new AssertionError("the device returned chain " + u.id() + ", which is not in flight");
            }
            long writable = 0;
            for (int k = r.readable; k < r.bufLen.length; k++) {
                writable += r.bufLen[k];
            }
            if (u.length() > writable) {
                throw new AssertionError("used length " + u.length() + " > " + writable + " writable bytes");
            }
            if (r.statusAt < 0) {
                continue; // nowhere for a status
            }
            byte[] s = new byte[1];
            ram.read(r.statusAt, s, 0, 1);
            if (s[0] < 0 || s[0] > 2) {
                throw new AssertionError("status " + s[0] + " for type " + r.type);
            }
            if (readOnly && r.type == 0 && s[0] == 0 && writable > 1) { // a read-write image changes
                byte[] got = new byte[(int) writable];
                int at = 0;
                for (int k = r.readable; k < r.bufLen.length; k++) {
                    ram.read(r.bufAddr[k], got, at, r.bufLen[k]);
                    at += r.bufLen[k];
                }
                long from = r.sector * 512;
                byte[] want = Arrays.copyOfRange(content, (int) from, (int) (from + writable - 1));
                if (!Arrays.equals(Arrays.copyOf(got, (int) writable - 1), want)) {
                    throw new AssertionError("a read reported OK but delivered other bytes than sector " + r.sector);
                }
            }
        }
    }
}
