package io.jvmm.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.runtime.board.Board;
import io.jvmm.runtime.board.Chipset;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/**
 * The vCPU exit path must not allocate. Measured with the per-thread allocation counter, which the
 * runtime module's own tests cannot reach (they run inside the io.jvmm.runtime module, which does
 * not read jdk.management).
 */
class DispatchAllocationTest {
    private static final int N = 200_000;

    @Test
    void dispatchAllocatesNothing() throws Exception {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        assertTrue(threads.isThreadAllocatedMemorySupported());
        threads.setThreadAllocatedMemoryEnabled(true);
        long self = Thread.currentThread().getId();
        try (Chipset chipset = BenchBoards.build()) {
            Board board = chipset.board();
            board.setTraceUnknownPio(true); // traced and rate-limited: still no allocation once suppressed
            byte[] one = new byte[1];
            byte[] eight = new byte[8];
            Runnable storm = () -> {
                for (int i = 0; i < N; i++) {
                    board.pioRead(BenchBoards.CLAIMED_PORT, one);
                    board.pioWrite(BenchBoards.CLAIMED_PORT, one);
                    board.pioRead(BenchBoards.UNCLAIMED_PORT + (i & 7), one);
                    board.mmioRead(BenchBoards.CLAIMED_MMIO + 8, eight);
                    board.mmioWrite(BenchBoards.CLAIMED_MMIO + 8, eight);
                }
            };
            storm.run(); // warm up; the first traced accesses are logged (and may allocate)
            long before = threads.getThreadAllocatedBytes(self);
            storm.run();
            long allocated = threads.getThreadAllocatedBytes(self) - before;
            // A few rate-limited log lines per second may get through (the logger is a no-op here),
            // each allocating its varargs; anything per-access would be megabytes.
            assertTrue(allocated < 16 * 1024, "dispatch allocated " + allocated + " bytes for " + (5 * N) + " accesses");

            board.setTraceUnknownPio(false);
            board.setTraceUnknownMmio(false);
            long before2 = threads.getThreadAllocatedBytes(self);
            for (int i = 0; i < N; i++) {
                board.pioRead(BenchBoards.CLAIMED_PORT, one);
                board.pioRead(BenchBoards.UNCLAIMED_PORT, one);
                board.mmioRead(BenchBoards.CLAIMED_MMIO, eight);
                board.mmioRead(BenchBoards.UNCLAIMED_MMIO, eight);
            }
            assertEquals(0, threads.getThreadAllocatedBytes(self) - before2, "tracing off: no allocation at all");
        }
    }
}
