package io.jvmm.runtime.board;

import static io.jvmm.runtime.board.TestSupport.device;
import static io.jvmm.runtime.board.TestSupport.manifest;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.runtime.board.TestSupport.Fixture;
import io.jvmm.runtime.board.TestSupport.RecordingDevice;
import io.jvmm.runtime.manifest.ChipsetDeviceHandle;
import io.jvmm.testkit.AllocationMeter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The vCPU exit path must not allocate: claimed and unclaimed port and MMIO accesses, reads and
 * writes. Counted per thread with the testkit's {@link AllocationMeter} after a warm-up (class
 * loading, the first log lines), so the result does not depend on the JIT or the machine's speed.
 */
class DispatchAllocationTest {
    private static final int CLAIMED_PORT = 0x3f8;
    private static final int UNCLAIMED_PORT = 0x80;
    private static final long CLAIMED_MMIO = 0xfed0_0000L;
    private static final long UNCLAIMED_MMIO = 0xfed0_1000L;
    private static final int N = 20_000;

    private Chipset chipset;
    private Board board;
    private final byte[] one = new byte[1];
    private final byte[] eight = new byte[8];

    /** A board shaped like a small PC: a dozen port and MMIO regions, so lookups are not trivial. */
    @BeforeEach
    void build() throws Exception {
        long[][] pio = {{0x20, 0x21}, {0x40, 0x43}, {0x60, 0x60}, {0x64, 0x64}, {0x70, 0x71}, {0xa0, 0xa1},
            {0x2f8, 0x2ff}, {CLAIMED_PORT, CLAIMED_PORT + 7}, {0xcf8, 0xcff}};
        long[][] mmio = {{0xfec0_0000L, 0xfec0_0fffL}, {CLAIMED_MMIO, CLAIMED_MMIO + 0x3ff},
            {0xfee0_0000L, 0xfee0_0fffL}, {0xe000_0000L, 0xefff_ffffL}, {0xfe00_0000L, 0xfe00_0fffL},
            {0xfeb0_0000L, 0xfeb0_0fffL}, {0x1_0000_0000L, 0x1_0000_ffffL}, {0xd000_0000L, 0xd0ff_ffffL}};
        Fixture f = new Fixture().add("register", ctx -> {
            // Names are "<p|m>-<hex start>-<hex end>".
            String[] parts = ctx.deviceName().split("-");
            long start = Long.parseUnsignedLong(parts[1], 16);
            long end = Long.parseUnsignedLong(parts[2], 16);
            RecordingDevice d = new RecordingDevice(ctx.deviceName(), 0x5a);
            return parts[0].equals("p") ? d.pio("regs", start, end) : d.mmio("regs", start, end);
        });
        List<ChipsetDeviceHandle> devices = new ArrayList<>();
        for (long[] r : pio) {
            devices.add(device("p-" + Long.toHexString(r[0]) + "-" + Long.toHexString(r[1]), "register"));
        }
        for (long[] r : mmio) {
            devices.add(device("m-" + Long.toHexString(r[0]) + "-" + Long.toHexString(r[1]), "register"));
        }
        chipset = f.build(manifest(devices.toArray(ChipsetDeviceHandle[]::new)));
        board = chipset.board();
    }

    @AfterEach
    void close() {
        chipset.close();
    }

    private void storm(int n) {
        for (int i = 0; i < n; i++) {
            board.pioRead(CLAIMED_PORT, one);
            board.pioWrite(CLAIMED_PORT, one);
            board.pioRead(UNCLAIMED_PORT + (i & 7), one);
            board.pioWrite(UNCLAIMED_PORT, one);
            board.mmioRead(CLAIMED_MMIO + 8, eight);
            board.mmioWrite(CLAIMED_MMIO + 8, eight);
            board.mmioRead(UNCLAIMED_MMIO, eight);
            board.mmioWrite(UNCLAIMED_MMIO + (i & 7) * 8, eight);
        }
    }

    @Test
    void dispatchAllocatesNothing() {
        board.setTraceUnknownPio(false);
        board.setTraceUnknownMmio(false);
        storm(N); // warm up
        long allocated = AllocationMeter.allocatedBytes(() -> storm(N));
        assertTrue(allocated >= 0, "this JVM cannot count allocated bytes");
        assertEquals(0, allocated, "dispatch allocated " + allocated + " bytes for " + (8 * N) + " accesses");
    }

    /**
     * With tracing on, an unclaimed access allocates only when its (rate-limited) log line is let
     * through, which happens in the first accesses of each second. So of many short batches
     * nearly all allocate nothing; any allocation per access would show in every batch.
     */
    @Test
    void tracedUnclaimedAccessesAllocateOnlyForTheLinesLetThrough() {
        board.setTraceUnknownPio(true);
        board.setTraceUnknownMmio(true);
        storm(N); // warm up; the first traced accesses are logged
        int batches = 200;
        int quiet = 0;
        long most = 0;
        for (int b = 0; b < batches; b++) {
            long allocated = AllocationMeter.allocatedBytes(() -> storm(50));
            assertTrue(allocated >= 0, "this JVM cannot count allocated bytes");
            if (allocated == 0) {
                quiet++;
            }
            most = Math.max(most, allocated);
        }
        // Each batch of 400 accesses takes well under a millisecond: at most a few of them open a
        // new one-second log window. Only a machine stalled for seconds per batch could fail this.
        assertTrue(quiet > 0, "every batch of 400 accesses allocated, up to " + most + " bytes");
        assertTrue(quiet >= batches / 2, quiet + " of " + batches + " batches allocated nothing, up to " + most);
    }
}
