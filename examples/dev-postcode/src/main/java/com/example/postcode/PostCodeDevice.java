package com.example.postcode;

import io.jvmm.api.device.Capabilities;
import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.DeviceLifecycle;
import io.jvmm.api.device.IoRegion;
import io.jvmm.api.device.IoResult;
import io.jvmm.api.device.PortIoIntercept;
import io.jvmm.api.device.VmClock;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

/**
 * Records every byte written to its port, with the VM time it arrived, and prints the list when the
 * VM stops ({@link DeviceLifecycle#stop()}: at power-off, reset or pause). Reads return the last
 * code written, as many chipsets do.
 *
 * <p>The write path runs on a vCPU thread and allocates nothing: codes go into preallocated
 * arrays; once they are full further codes are only counted. The bus calls every method of one
 * device under that device's lock, so no synchronization is needed here.
 */
final class PostCodeDevice implements ChipsetDevice, PortIoIntercept, DeviceLifecycle {
    /** Codes kept per run; a Linux guest also writes port 0x80 for I/O delays, so bound it. */
    static final int CAPACITY = 4096;
    /** The name of the one-port region the device declares (shown in conflict messages). */
    static final String REGION = "post";

    private final String name;
    private final int port;
    private final List<IoRegion> regions;
    private final Capabilities capabilities = Capabilities.builder().portIo(this).lifecycle(this).build();
    private final VmClock clock;
    private final PrintStream report;

    private final byte[] codes = new byte[CAPACITY];
    private final long[] times = new long[CAPACITY];
    private int count;
    private long overflow;
    private int last = 0xFF;
    private long origin;

    PostCodeDevice(String name, int port, VmClock clock, PrintStream report) {
        this.name = name;
        this.port = port;
        this.regions = List.of(new IoRegion(REGION, port, 1));
        this.clock = clock;
        this.report = report;
        this.origin = clock.nanos();
    }

    @Override
    public Capabilities capabilities() {
        return capabilities;
    }

    /** One port; the board claims it, reports conflicts, and sends its accesses here as offset 0. */
    @Override
    public List<IoRegion> pioRegions() {
        return regions;
    }

    @Override
    public IoResult ioWrite(int region, int offset, byte[] data) {
        // A wider write still carries the code in its low byte.
        last = data[0] & 0xFF;
        if (count == CAPACITY) {
            overflow++;
        } else {
            codes[count] = data[0];
            times[count] = clock.nanos() - origin;
            count++;
        }
        return IoResult.OK;
    }

    @Override
    public IoResult ioRead(int region, int offset, byte[] data) {
        data[0] = (byte) last;
        for (int i = 1; i < data.length; i++) {
            data[i] = 0;
        }
        return IoResult.OK;
    }

    /** Prints the codes recorded since the last report, then starts a new list. */
    @Override
    public void stop() {
        if (count == 0 && overflow == 0) {
            return;
        }
        report.println(describe());
        report.flush();
        count = 0;
        overflow = 0;
    }

    /** Power-on state: nothing recorded, time counted from now. */
    @Override
    public void reset() {
        count = 0;
        overflow = 0;
        last = 0xFF;
        origin = clock.nanos();
    }

    /** {@code POST codes (name): 0x01 at 0.012 s, 0x02 at 0.013 s}. */
    String describe() {
        StringBuilder sb = new StringBuilder("POST codes (").append(name).append("): ");
        for (int i = 0; i < count; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(String.format(Locale.ROOT, "0x%02x at %.3f s", codes[i] & 0xFF, times[i] / 1e9));
        }
        if (overflow > 0) {
            sb.append(count > 0 ? ", " : "").append("and ").append(overflow).append(" more not recorded");
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return "postcode@0x" + Integer.toHexString(port) + " (" + count + " recorded)";
    }
}
