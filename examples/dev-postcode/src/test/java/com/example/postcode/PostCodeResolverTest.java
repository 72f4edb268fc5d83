package com.example.postcode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.IoResult;
import io.jvmm.api.resource.ConfigException;
import io.jvmm.testkit.AllocationMeter;
import io.jvmm.testkit.FakeBoard;
import io.jvmm.testkit.FakeBus;
import io.jvmm.testkit.MapConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The README's "Testing your device", as this example's tests: the resolver and its device on the
 * testkit's FakeBoard, with a FakeClock that moves only when the test says so. No VM, no /dev/kvm.
 */
class PostCodeResolverTest {
    private final PostCodeResolver resolver = new PostCodeResolver();

    @Test
    void parsesThePortWithADefault() {
        assertEquals(new PostCodeHandle(0x84), resolver.parseHandle(new MapConfig(Map.of("port", "0x84"))));
        assertEquals(new PostCodeHandle(0x80), resolver.parseHandle(new MapConfig(Map.of())));
        assertThrows(ConfigException.class, () -> resolver.parseHandle(new MapConfig(Map.of("port", 0x10000))));
    }

    @Test
    void claimsItsPortAndRecordsCodesWithTheirVmTime() throws Exception {
        FakeBoard board = new FakeBoard();
        ChipsetDevice d = resolver.resolve(new PostCodeHandle(0x80), board.context("post"));
        FakeBus io = board.attach(d);
        assertEquals(List.of(FakeBoard.Claim.pio("post", 0x80, 0x80)), board.claims());

        board.clock().advanceNanos(12_000_000);
        assertEquals(IoResult.OK, io.ioWrite(0x80, new byte[] {0x01}));
        board.clock().advanceNanos(1_000_000);
        assertEquals(IoResult.OK, io.ioWrite(0x80, new byte[] {(byte) 0xaa, 0, 0, 0}));  // a wider write: the low byte
        assertEquals("POST codes (post): 0x01 at 0.012 s, 0xaa at 0.013 s", ((PostCodeDevice) d).describe());

        byte[] read = new byte[2];
        assertEquals(IoResult.OK, io.ioRead(0x80, read));
        assertArrayEquals(new byte[] {(byte) 0xaa, 0}, read, "reads return the last code");
    }

    @Test
    void resetForgetsTheCodesAndRestartsTheTime() throws Exception {
        FakeBoard board = new FakeBoard();
        ChipsetDevice d = resolver.resolve(new PostCodeHandle(0x80), board.context("post"));
        FakeBus io = board.attach(d);
        io.ioWrite(0x80, new byte[] {0x01});
        board.clock().advanceNanos(5_000_000_000L);
        d.capabilities().lifecycle().orElseThrow().reset();
        board.clock().advanceNanos(2_000_000);
        io.ioWrite(0x80, new byte[] {0x02});
        assertEquals("POST codes (post): 0x02 at 0.002 s", ((PostCodeDevice) d).describe());
    }

    @Test
    void keepsAFixedNumberOfCodesAndCountsTheRest() throws Exception {
        FakeBoard board = new FakeBoard();
        ChipsetDevice d = resolver.resolve(new PostCodeHandle(0x80), board.context("post"));
        FakeBus io = board.attach(d);
        byte[] code = {0x55};
        for (int i = 0; i < PostCodeDevice.CAPACITY + 3; i++) {
            io.ioWrite(0x80, code);
        }
        assertEquals(true, ((PostCodeDevice) d).describe().endsWith(", and 3 more not recorded"));
    }

    @Test
    void theWritePathAllocatesNothing() throws Exception {
        FakeBoard board = new FakeBoard();
        ChipsetDevice d = resolver.resolve(new PostCodeHandle(0x80), board.context("post"));
        FakeBus io = board.attach(d);
        byte[] code = {0x55};
        Runnable writes = () -> {
            for (int i = 0; i < 1000; i++) {
                io.ioWrite(0x80, code);
            }
        };
        writes.run();  // warm up
        assertEquals(0, AllocationMeter.allocatedBytes(writes));
    }
}
