package io.jvmm.testkit;

import io.jvmm.api.device.Capabilities;
import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.IoRegion;
import io.jvmm.api.device.IoResult;
import io.jvmm.api.device.MmioIntercept;
import io.jvmm.api.device.PortIoIntercept;
import java.util.List;
import java.util.Objects;

/**
 * One device as the board's bus reaches it: a test accesses absolute ports and addresses, and the
 * bus hands the device, like the real board, the index of the declared region holding the first
 * byte and the offset within it. Unlike the board it returns the device's {@link IoResult} (so a
 * test can assert errors) and fails the test for an address no declared region holds. Lookup is a
 * scan of primitive arrays: the access path allocates nothing, so {@link AllocationMeter} can
 * measure a device through it.
 */
public final class FakeBus {
    private final PortIoIntercept pio;
    private final MmioIntercept mmio;
    private final List<IoRegion> pioRegions;
    private final List<IoRegion> mmioRegions;
    private final long[] pioStart;
    private final long[] pioEnd;
    private final long[] mmioStart;
    private final long[] mmioEnd;

    private FakeBus(ChipsetDevice device) {
        Capabilities caps = Objects.requireNonNull(device.capabilities(), "capabilities() returned null");
        pio = caps.portIo().orElse(null);
        mmio = caps.mmio().orElse(null);
        pioRegions = pio == null ? List.of() : List.copyOf(pio.pioRegions());
        mmioRegions = mmio == null ? List.of() : List.copyOf(mmio.mmioRegions());
        pioStart = starts(pioRegions);
        pioEnd = ends(pioRegions);
        mmioStart = starts(mmioRegions);
        mmioEnd = ends(mmioRegions);
    }

    /** The bus view of {@code device}; its regions are read now, once, as the board reads them. */
    public static FakeBus of(ChipsetDevice device) {
        return new FakeBus(Objects.requireNonNull(device, "device"));
    }

    /** The port regions the device declared. */
    public List<IoRegion> pioRegions() {
        return pioRegions;
    }

    /** The MMIO regions the device declared. */
    public List<IoRegion> mmioRegions() {
        return mmioRegions;
    }

    public IoResult ioRead(int port, byte[] data) {
        int i = find(pioStart, pioEnd, port, "port");
        return pio.ioRead(i, (int) (port - pioStart[i]), data);
    }

    public IoResult ioWrite(int port, byte[] data) {
        int i = find(pioStart, pioEnd, port, "port");
        return pio.ioWrite(i, (int) (port - pioStart[i]), data);
    }

    public IoResult mmioRead(long address, byte[] data) {
        int i = find(mmioStart, mmioEnd, address, "MMIO address");
        return mmio.mmioRead(i, address - mmioStart[i], data);
    }

    public IoResult mmioWrite(long address, byte[] data) {
        int i = find(mmioStart, mmioEnd, address, "MMIO address");
        return mmio.mmioWrite(i, address - mmioStart[i], data);
    }

    private int find(long[] starts, long[] ends, long address, String what) {
        for (int i = 0; i < starts.length; i++) {
            if (Long.compareUnsigned(address, starts[i]) >= 0 && Long.compareUnsigned(address, ends[i]) <= 0) {
                return i;
            }
        }
        throw new AssertionError("no region the device declared holds " + what + " 0x" + Long.toHexString(address)
                + "; it declared " + (what.equals("port") ? pioRegions : mmioRegions));
    }

    private static long[] starts(List<IoRegion> regions) {
        return regions.stream().mapToLong(IoRegion::start).toArray();
    }

    private static long[] ends(List<IoRegion> regions) {
        return regions.stream().mapToLong(IoRegion::end).toArray();
    }
}
