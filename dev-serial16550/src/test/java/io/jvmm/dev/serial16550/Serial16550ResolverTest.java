package io.jvmm.dev.serial16550;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.IoResult;
import io.jvmm.api.device.MmioIntercept;
import io.jvmm.api.handles.DisconnectedSerialHandle;
import io.jvmm.api.handles.Serial16550Handle;
import io.jvmm.api.handles.SerialBase;
import io.jvmm.api.resource.ResolveException;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.testkit.FakeBoard;
import io.jvmm.testkit.FakeBus;
import io.jvmm.testkit.SerialPipe;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Handle validation, region claims and MMIO register decoding. */
class Serial16550ResolverTest {
    private FakeBoard board = new FakeBoard();
    private final SerialPipe pipe = new SerialPipe();

    private ChipsetDevice resolve(SerialBase base, int width) throws ResolveException {
        ChipsetDevice d = new Serial16550Resolver().resolve(
                new Serial16550Handle(base, width, 5, DisconnectedSerialHandle.resource(), false),
                board.context("serial-mmio", Map.of(ResourceKinds.SERIAL_BACKEND, pipe.backend())));
        board.attach(d); // the board claims what the device declares
        return d;
    }

    @Test
    void pioClaimsEightPortsAndALine() throws ResolveException {
        ChipsetDevice d = resolve(new SerialBase.IoPort(0x2F8), 1);
        assertEquals(java.util.List.of(FakeBoard.Claim.pio("registers", 0x2F8, 0x2FF)), board.claims());
        assertEquals(5, board.lines().get(0).vector());
        assertTrue(d.capabilities().portIo().isPresent() && d.capabilities().mmio().isEmpty());
        assertTrue(d.capabilities().pollDevice().isPresent() && d.capabilities().lifecycle().isPresent() && d.capabilities().savedState().isPresent());
    }

    @Test
    void portMappedUartsDescribeThemselvesAsPcComPorts() throws ResolveException {
        ChipsetDevice d = resolve(new SerialBase.IoPort(0x2F8), 1);
        assertEquals(new io.jvmm.api.device.AcpiNode("COM2", "PNP0501", 2, java.util.List.of(5)),
                d.capabilities().acpiNode().orElseThrow());
        assertEquals(new io.jvmm.api.device.AcpiNode("COM1", "PNP0501", 1, java.util.List.of(4)),
                Serial16550Resolver.acpiNode(0x3F8, 4));
        assertEquals(new io.jvmm.api.device.AcpiNode("UART", "PNP0501", 0x500, java.util.List.of()),
                Serial16550Resolver.acpiNode(0x500, 40));
        board = new FakeBoard();
        assertTrue(resolve(new SerialBase.Mmio(0xFED0_0000L), 4).capabilities().acpiNode().isEmpty(),
                "PNP0501 means the PC's port layout");
    }

    @Test
    void mmioClaimsEightRegistersOfTheWidth() throws ResolveException {
        for (int w : new int[] {1, 2, 4, 8}) {
            board = new FakeBoard();
            ChipsetDevice d = resolve(new SerialBase.Mmio(0xFED0_0000L), w);
            long end = 0xFED0_0000L + 8L * w - 1;
            assertEquals(java.util.List.of(FakeBoard.Claim.mmio("registers", 0xFED0_0000L, end)), board.claims());
            assertTrue(d.capabilities().mmio().isPresent() && d.capabilities().portIo().isEmpty());
        }
    }

    @Test
    void badConfigurationsAreRejectedWithClearMessages() {
        ResolveException e = assertThrows(ResolveException.class, () -> resolve(new SerialBase.IoPort(0x3F8), 4));
        assertTrue(e.getMessage().contains("register_width must be 1"), e.getMessage());
        assertTrue(e.getMessage().contains("serial-mmio"), e.getMessage());
        e = assertThrows(ResolveException.class, () -> resolve(new SerialBase.Mmio(0x1000), 3));
        assertTrue(e.getMessage().contains("1, 2, 4 or 8"), e.getMessage());
        e = assertThrows(ResolveException.class, () -> resolve(new SerialBase.Mmio(0x1010), 4));
        assertTrue(e.getMessage().contains("not aligned") && e.getMessage().contains("0x20"), e.getMessage());
        e = assertThrows(ResolveException.class, () -> resolve(new SerialBase.IoPort(0xFFFC), 1));
        assertTrue(e.getMessage().contains("0xfffc"), e.getMessage());
        assertTrue(board.claims().isEmpty(), "nothing claimed for a bad handle");
    }

    @Test
    void mmioDecodesRegistersByWidthAndRejectsMisalignedOffsets() throws ResolveException {
        long base = 0x9000_0000L;
        FakeBus m = FakeBus.of(resolve(new SerialBase.Mmio(base), 4));
        byte[] four = new byte[4];
        assertEquals(IoResult.OK, m.mmioRead(base + 4 * 5, four));
        assertArrayEquals(new byte[] {0x60, 0, 0, 0}, four, "LSR at index 5, zero-extended");
        assertEquals(IoResult.OK, m.mmioWrite(base + 4 * 7, new byte[] {0x3C, 1, 2, 3}));
        byte[] one = new byte[1];
        m.mmioRead(base + 4 * 7, one);
        assertEquals(0x3C, one[0]);
        assertEquals(IoResult.UNALIGNED_ACCESS, m.mmioRead(base + 4 * 7 + 1, one));
        assertEquals(IoResult.UNALIGNED_ACCESS, m.mmioWrite(base + 2, one));
        byte[] eight = new byte[8];
        assertEquals(IoResult.OK, m.mmioRead(base + 4 * 3, eight));
        assertArrayEquals(new byte[8], eight, "LCR 0");
    }
}
