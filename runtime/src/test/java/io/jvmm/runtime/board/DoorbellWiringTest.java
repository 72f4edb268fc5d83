package io.jvmm.runtime.board;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.IoData;
import io.jvmm.api.device.IoResult;
import io.jvmm.api.device.PciAddress;
import io.jvmm.api.device.PciBar;
import io.jvmm.api.device.PciBarKind;
import io.jvmm.api.device.PciDoorbell;
import io.jvmm.api.device.PciFunction;
import io.jvmm.api.device.PciFunctionInfo;
import io.jvmm.api.hv.DoorbellSupport;
import io.jvmm.api.hv.HypervisorException;
import io.jvmm.api.hv.MmioDoorbell;
import io.jvmm.api.support.LogRateLimiter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/**
 * PCI doorbells follow their BAR: registered with the partition where the BAR is mapped, moved with
 * it, dropped when it is unmapped or refused, and plain MMIO exits whenever the partition cannot take
 * them (no support, or a refusal).
 */
class DoorbellWiringTest {
    static final long A = 0xC000_0000L;
    static final long B = 0xC001_0000L;

    /** A function with a 16 KiB BAR 0 and a 4 KiB BAR 2; doorbells at BAR 0 + 0x3000 (2 and 4 bytes), BAR 2 + 0x10. */
    static final class Bells implements PciFunction {
        final List<String> barWrites = new ArrayList<>();
        final List<Integer> rung = new ArrayList<>();

        @Override
        public PciFunctionInfo info() {
            return new PciFunctionInfo(new PciAddress(0, 3, 0), 0x1AF4, 0x1044, 1, 0xFF0000, 0x1AF4, 1, 1,
                    List.of(new PciBar(0, PciBarKind.MMIO64, 0x4000, false), new PciBar(2, PciBarKind.MMIO32, 0x1000, false)),
                    List.of());
        }

        @Override
        public List<PciDoorbell> doorbells() {
            return List.of(new PciDoorbell(0, 0x3000, 2, OptionalLong.empty()),
                    new PciDoorbell(0, 0x3000, 4, OptionalLong.empty()),
                    new PciDoorbell(2, 0x10, 1, OptionalLong.of(7)),
                    new PciDoorbell(2, 0x1000, 4, OptionalLong.empty())); // outside BAR 2: ignored
        }

        @Override
        public synchronized void doorbellRung(int index) {
            rung.add(index);
        }

        @Override
        public IoResult barRead(int bar, long offset, byte[] data) {
            IoData.put(data, 0);
            return IoResult.OK;
        }

        @Override
        public synchronized IoResult barWrite(int bar, long offset, byte[] data) {
            barWrites.add(bar + "+0x" + Long.toHexString(offset) + "/" + data.length);
            return IoResult.OK;
        }
    }

    /** A partition's doorbells that records registrations; refuses addresses in {@code refuse}. */
    static final class FakeSupport implements DoorbellSupport {
        final List<Reg> all = new ArrayList<>();
        final List<Long> refuse = new ArrayList<>();

        final class Reg implements Registration {
            final MmioDoorbell doorbell;
            final Runnable ring;
            boolean closed;
            long rings;

            Reg(MmioDoorbell doorbell, Runnable ring) {
                this.doorbell = doorbell;
                this.ring = ring;
            }

            @Override
            public MmioDoorbell doorbell() {
                return doorbell;
            }

            @Override
            public long rings() {
                return rings;
            }

            @Override
            public void close() {
                closed = true;
            }
        }

        @Override
        public Registration register(MmioDoorbell doorbell, Runnable ring) throws HypervisorException {
            if (refuse.contains(doorbell.address())) {
                throw new HypervisorException("table full");
            }
            Reg r = new Reg(doorbell, ring);
            all.add(r);
            return r;
        }

        List<MmioDoorbell> active() {
            return all.stream().filter(r -> !r.closed).map(r -> r.doorbell).toList();
        }

        void ring(long address, int width) {
            for (Reg r : all) {
                if (!r.closed && r.doorbell.address() == address && r.doorbell.width() == width) {
                    r.rings++;
                    r.ring.run();
                }
            }
        }
    }

    final Bells function = new Bells();
    final BarMappings bars = new BarMappings();
    final DoorbellWiring wiring = new DoorbellWiring();
    final PciAttachment attachment = new PciAttachment("bells", function, new Object(), bars, wiring, new LogRateLimiter(10));
    final Board board = new Board(IoRangeMap.<DispatchTarget>builder("pio").build(),
            IoRangeMap.<DispatchTarget>builder("mmio").build(), bars, Duration.ofSeconds(1), false, false, 10);
    final FakeSupport support = new FakeSupport();

    static MmioDoorbell bell(long address, int width) {
        return new MmioDoorbell(address, width, OptionalLong.empty());
    }

    void write(long address, int width) {
        board.mmioWrite(address, new byte[width]);
    }

    @Test
    void doorbellsAreRegisteredWhereTheBarIsMappedAndFollowIt() {
        wiring.connect(Optional.of(support));
        assertEquals(List.of(), support.active(), "nothing mapped, nothing registered");
        assertTrue(attachment.map(0, A, 0x4000));
        assertEquals(List.of(bell(A + 0x3000, 2), bell(A + 0x3000, 4)), support.active());
        assertEquals(2, wiring.registered());
        support.ring(A + 0x3000, 4);
        assertEquals(List.of(1), function.rung, "the ring reaches the function as its doorbell's index");

        assertTrue(attachment.map(0, B, 0x4000), "the guest moves the BAR");
        assertEquals(List.of(bell(B + 0x3000, 2), bell(B + 0x3000, 4)), support.active(), "the doorbells moved with it");
        assertTrue(attachment.map(2, A, 0x1000));
        assertEquals(List.of(bell(B + 0x3000, 2), bell(B + 0x3000, 4), new MmioDoorbell(A + 0x10, 1, OptionalLong.of(7))),
                support.active(), "BAR 2's doorbell carries its value; the one outside the BAR is ignored");

        support.ring(B + 0x3000, 2);
        support.ring(B + 0x3000, 2);
        assertEquals(List.of(1, 0, 0), function.rung);
        assertEquals(3, wiring.absorbed(), "writes absorbed at the old and the new address");

        attachment.unmap(0); // decoding off, or a reset
        assertEquals(List.of(new MmioDoorbell(A + 0x10, 1, OptionalLong.of(7))), support.active());
        attachment.unmap(2);
        assertEquals(List.of(), support.active());
        assertEquals(0, wiring.registered());
        assertEquals(3, wiring.absorbed(), "closed registrations keep their count");
    }

    @Test
    void connectingLaterRegistersTheBarsMappedAlreadyAndCloseUnregistersAll() {
        assertTrue(attachment.map(0, A, 0x4000));
        wiring.connect(Optional.of(support));
        assertEquals(List.of(bell(A + 0x3000, 2), bell(A + 0x3000, 4)), support.active());
        wiring.close();
        assertEquals(List.of(), support.active());
        assertTrue(attachment.map(0, B, 0x4000));
        assertEquals(List.of(), support.active(), "after close nothing is registered any more");
        write(B + 0x3000, 2);
        assertEquals(List.of("0+0x3000/2"), function.barWrites, "the BAR still works by MMIO exits");
    }

    @Test
    void withoutSupportDoorbellWritesAreOrdinaryMmioExits() {
        wiring.connect(Optional.empty());
        assertTrue(attachment.map(0, A, 0x4000));
        assertEquals(0, wiring.registered());
        write(A + 0x3000, 2);
        write(A + 0x3000, 4);
        assertEquals(List.of("0+0x3000/2", "0+0x3000/4"), function.barWrites);
        assertEquals(List.of(), function.rung);
    }

    @Test
    void aRefusedDoorbellStaysAnMmioExitAndTheOthersAreRegistered() {
        support.refuse.add(A + 0x10);
        wiring.connect(Optional.of(support));
        assertTrue(attachment.map(0, A + 0x4000, 0x4000));
        assertTrue(attachment.map(2, A, 0x1000));
        assertEquals(2, wiring.registered(), "BAR 0's two; BAR 2's was refused");
        write(A + 0x10, 1);
        assertEquals(List.of("2+0x10/1"), function.barWrites, "the refused doorbell is served by the exit");
    }

    @Test
    void aBarMappingRefusedForAConflictDropsItsDoorbells() {
        wiring.connect(Optional.of(support));
        PciAttachment other = new PciAttachment("other", new Bells(), new Object(), bars, wiring, new LogRateLimiter(10));
        assertTrue(other.map(0, B, 0x4000));
        assertTrue(attachment.map(0, A, 0x4000));
        assertEquals(4, wiring.registered());
        assertFalse(attachment.map(0, B, 0x4000), "overlaps the other function's BAR");
        assertEquals(List.of(bell(B + 0x3000, 2), bell(B + 0x3000, 4)), support.active(),
                "only the other function's doorbells remain");
    }
}
