package io.jvmm.runtime.board;

import static io.jvmm.runtime.board.TestSupport.awaitBlocked;
import static io.jvmm.runtime.board.TestSupport.awaitWaiting;
import static io.jvmm.runtime.board.TestSupport.bytes;
import static io.jvmm.runtime.board.TestSupport.device;
import static io.jvmm.runtime.board.TestSupport.manifest;
import static io.jvmm.runtime.board.TestSupport.mmioRead;
import static io.jvmm.runtime.board.TestSupport.pioRead;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.DeferredIo;
import io.jvmm.api.device.IoData;
import io.jvmm.api.device.IoError;
import io.jvmm.api.device.IoResult;
import io.jvmm.runtime.board.TestSupport.Fixture;
import io.jvmm.runtime.board.TestSupport.RecordingDevice;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class BoardDispatchTest {
    private final RecordingDevice com1 = new RecordingDevice("com1", 0x11);
    private final RecordingDevice com2 = new RecordingDevice("com2", 0x22);
    private final RecordingDevice hpet = new RecordingDevice("hpet", 0x1122_3344_5566_7788L);
    private Chipset chipset;
    private Board board;

    @BeforeEach
    void build() throws Exception {
        Fixture f = new Fixture()
                .add("uart_a", ctx -> com1.pio("uart", 0x3f8, 0x3ff))
                .add("uart_b", ctx -> com2.pio("uart", 0x2f8, 0x2ff))
                .add("timer", ctx -> hpet.mmio("regs", 0xfed0_0000L, 0xfed0_03ffL)
                        .mmio("high", 0xffff_ffff_0000_0000L, 0xffff_ffff_0000_0fffL));
        chipset = f.builder(manifest(device("com1", "uart_a"), device("com2", "uart_b"), device("hpet", "timer")))
                .deferredTimeout(Duration.ofMillis(200))
                .build();
        board = chipset.board();
    }

    @AfterEach
    void close() {
        chipset.close();
    }

    @Test
    void dispatchesToTheOwnerWithTheAbsoluteAddress() {
        assertEquals(0x11, pioRead(board, 0x3fd, 1));
        assertEquals(0x3fd, com1.lastAddress);
        assertEquals(0x22, pioRead(board, 0x2f8, 1));
        assertEquals(0x2f8, com2.lastAddress);
        board.pioWrite(0x3ff, bytes(1, 0x5a));
        assertEquals(0x3ff, com1.lastAddress);
        assertEquals(0x5a, com1.lastWrite);
        assertEquals(0x1122_3344_5566_7788L, mmioRead(board, 0xfed0_00f0L, 8));
        assertEquals(0xfed0_00f0L, hpet.lastAddress);
        board.mmioWrite(0xffff_ffff_0000_0010L, bytes(4, 0xdead_beefL));
        assertEquals(0xffff_ffff_0000_0010L, hpet.lastAddress);
        assertEquals(0xdead_beefL, hpet.lastWrite);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 4})
    void unclaimedPortsReadAllOnesAndDropWrites(int size) {
        long ones = size == 8 ? -1L : (1L << (8 * size)) - 1;
        assertEquals(ones, pioRead(board, 0x80, size));
        board.pioWrite(0x80, bytes(size, 0));
        assertEquals(ones, pioRead(board, 0x80, size));
        assertEquals(0, com1.accesses + com2.accesses + hpet.accesses);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 4, 8})
    void unclaimedMmioReadsAllOnesAndDropsWrites(int size) {
        long ones = size == 8 ? -1L : (1L << (8 * size)) - 1;
        assertEquals(ones, mmioRead(board, 0xfed0_0400L, size));
        board.mmioWrite(0xfed0_0400L, bytes(size, 0));
        assertEquals(ones, mmioRead(board, 0xfed0_0400L, size));
        assertEquals(0, hpet.accesses);
    }

    @Test
    void tracingDefaultsAndSwitches() {
        assertFalse(board.traceUnknownPio());
        assertTrue(board.traceUnknownMmio());
        board.setTraceUnknownPio(true);
        board.setTraceUnknownMmio(false);
        assertTrue(board.traceUnknownPio());
        assertFalse(board.traceUnknownMmio());
        // Tracing on must not change what the guest sees, even in a storm.
        for (int i = 0; i < 10_000; i++) {
            assertEquals(0xff, pioRead(board, 0x80, 1));
        }
    }

    @ParameterizedTest
    @EnumSource(IoError.class)
    void deviceErrorsFillReadsWithAllOnes(IoError error) {
        com1.result = () -> IoResult.error(error);
        hpet.result = () -> IoResult.error(error);
        assertEquals(0xffff, pioRead(board, 0x3f8, 2));
        assertEquals(-1L, mmioRead(board, 0xfed0_0000L, 8));
        board.pioWrite(0x3f8, bytes(1, 7)); // an error on a write is only logged
        assertEquals(7, com1.lastWrite);
        com1.result = () -> IoResult.OK;
        assertEquals(0x11, pioRead(board, 0x3f8, 1), "the device keeps working after an error");
    }

    @Test
    void throwingDeviceReadsAllOnesAndTheBoardKeepsRunning() {
        com1.toThrow = new IllegalStateException("device bug");
        hpet.toThrow = new ArithmeticException("/ by zero");
        for (int i = 0; i < 100; i++) {
            assertEquals(0xffff_ffffL, pioRead(board, 0x3f8, 4));
            board.pioWrite(0x3f8, bytes(1, 1));
            assertEquals(-1L, mmioRead(board, 0xfed0_0008L, 8));
            board.mmioWrite(0xfed0_0008L, bytes(8, 1));
        }
        assertEquals(0x22, pioRead(board, 0x2f8, 1), "other devices are unaffected");
        com1.toThrow = null;
        assertEquals(0x11, pioRead(board, 0x3f8, 1), "and the failed device is still dispatched to");
    }

    @Test
    void nullResultIsTreatedAsAnError() {
        com1.result = () -> null;
        assertEquals(0xff, pioRead(board, 0x3f8, 1));
    }

    @Test
    void deferredReadCompletesFromAnotherThread() {
        AtomicReference<DeferredIo> pending = new AtomicReference<>();
        Thread vcpu = Thread.currentThread();
        com1.result = () -> {
            DeferredIo d = new DeferredIo(2);
            pending.set(d);
            Thread t = new Thread(() -> {
                awaitWaiting(vcpu); // complete only once the vCPU waits for it
                d.complete(0xbeef);
            });
            t.start();
            return d;
        };
        assertEquals(0xbeef, pioRead(board, 0x3f8, 2));
    }

    @Test
    void deferredWriteLeavesTheDataAlone() {
        com1.result = () -> {
            DeferredIo d = new DeferredIo(1);
            new Thread(() -> d.complete(0x99)).start();
            return d;
        };
        byte[] data = bytes(1, 0x42);
        board.pioWrite(0x3f8, data);
        assertEquals(0x42, IoData.get(data));
    }

    @Test
    void deferredErrorAndTimeoutReadAllOnes() {
        com1.result = () -> {
            DeferredIo d = new DeferredIo(1);
            d.completeError(IoError.INVALID_REGISTER);
            return d;
        };
        assertEquals(0xff, pioRead(board, 0x3f8, 1));

        hpet.result = () -> new DeferredIo(4); // never completed
        long start = System.nanoTime();
        assertEquals(0xffff_ffffL, mmioRead(board, 0xfed0_0000L, 4));
        long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(waitedMs >= 190 && waitedMs < 3000, "waited the configured 200 ms, was " + waitedMs);
    }

    @Test
    void accessesTakeOnlyTheOwningDevicesLock() throws Exception {
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        com1.result = () -> {
            inside.countDown();
            await(release);
            return IoResult.OK;
        };
        Thread vcpu0 = new Thread(() -> pioRead(board, 0x3f8, 1));
        vcpu0.start();
        assertTrue(inside.await(5, TimeUnit.SECONDS));
        // com1 is busy holding its lock; another vCPU still reaches com2 and the HPET.
        assertEquals(0x22, pioRead(board, 0x2f8, 1));
        assertEquals(0x1122_3344_5566_7788L, mmioRead(board, 0xfed0_0000L, 8));
        // But a second access to com1 waits for the first.
        Thread vcpu1 = new Thread(() -> pioRead(board, 0x3f9, 1));
        vcpu1.start();
        awaitBlocked(vcpu1);
        assertEquals(0x3f8, com1.lastAddress, "com1 accesses are serialized by com1's lock");
        release.countDown();
        vcpu0.join(5000);
        vcpu1.join(5000);
        assertFalse(vcpu1.isAlive());
        assertEquals(0x3f9, com1.lastAddress);
    }

    @Test
    void regionsAreListedForDiagnostics() {
        assertEquals("com2/uart:0x2f8-0x2ff", board.pioRegions().get(0).toString());
        assertEquals("com1", board.pioRegionAt(0x3fc).device());
        assertEquals("high", board.mmioRegionAt(0xffff_ffff_0000_0000L).region());
        assertEquals(null, board.mmioRegionAt(0));
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
