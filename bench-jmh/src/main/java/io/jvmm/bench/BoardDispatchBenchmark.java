package io.jvmm.bench;

import io.jvmm.runtime.board.Board;
import io.jvmm.runtime.board.Chipset;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/** Nanoseconds per vCPU exit dispatched through the {@link Board}. Run with {@code -prof gc} for B/op. */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class BoardDispatchBenchmark {
    private Chipset chipset;
    private Board board;
    private final BenchBoards.Register device = new BenchBoards.Register();
    private final byte[] one = new byte[1];
    private final byte[] four = new byte[4];
    private final byte[] eight = new byte[8];

    @Setup
    public void setup() throws Exception {
        chipset = BenchBoards.build();
        board = chipset.board();
    }

    @TearDown
    public void tearDown() {
        chipset.close();
    }

    /** Baseline: the same device called directly, without lookup or lock. */
    @Benchmark
    public byte pioReadDirectBaseline() {
        device.ioRead(0, 5, one);
        return one[0];
    }

    @Benchmark
    public byte pioReadClaimed() {
        board.pioRead(BenchBoards.CLAIMED_PORT + 5, one);
        return one[0];
    }

    @Benchmark
    public void pioWriteClaimed() {
        board.pioWrite(BenchBoards.CLAIMED_PORT, one);
    }

    @Benchmark
    public byte pioReadUnclaimed() {
        board.pioRead(BenchBoards.UNCLAIMED_PORT, one);
        return one[0];
    }

    @Benchmark
    public byte mmioReadClaimed() {
        board.mmioRead(BenchBoards.CLAIMED_MMIO + 0xf0, eight);
        return eight[0];
    }

    @Benchmark
    public void mmioWriteClaimed() {
        board.mmioWrite(BenchBoards.CLAIMED_MMIO + 0x10, four);
    }

    /** Unclaimed MMIO with tracing on (the default): the rate limiter drops nearly every message. */
    @Benchmark
    public byte mmioReadUnclaimedTraced() {
        board.mmioRead(BenchBoards.UNCLAIMED_MMIO, four);
        return four[0];
    }
}
