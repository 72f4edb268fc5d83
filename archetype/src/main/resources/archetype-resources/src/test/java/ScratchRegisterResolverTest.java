package ${package};

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.IoResult;
import io.jvmm.api.device.SaveRestore;
import io.jvmm.api.device.SavedStateBlob;
import io.jvmm.testkit.FakeBoard;
import io.jvmm.testkit.FakeBus;
import io.jvmm.testkit.MapConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The resolver and its device on the testkit's FakeBoard: no VM, no /dev/kvm. */
class ScratchRegisterResolverTest {
    private final ScratchRegisterResolver resolver = new ScratchRegisterResolver();

    @Test
    void parsesItsConfigWithADefaultPort() {
        assertEquals(new ScratchRegisterHandle(0x310), resolver.parseHandle(new MapConfig(Map.of("port", "0x310"))));
        assertEquals(new ScratchRegisterHandle(ScratchRegisterHandle.DEFAULT_PORT), resolver.parseHandle(new MapConfig(Map.of())));
    }

    @Test
    void claimsItsPortAndReadsBackWhatWasWritten() throws Exception {
        FakeBoard board = new FakeBoard();
        ChipsetDevice device = resolver.resolve(new ScratchRegisterHandle(0x300), board.context("scratch0"));
        FakeBus io = board.attach(device);
        assertEquals(List.of(FakeBoard.Claim.pio(ScratchRegisterDevice.REGION, 0x300, 0x300)), board.claims());

        assertEquals(IoResult.OK, io.ioWrite(0x300, new byte[] {0x5a}));
        byte[] read = new byte[2];
        assertEquals(IoResult.OK, io.ioRead(0x300, read));
        assertArrayEquals(new byte[] {0x5a, 0}, read);

        device.capabilities().lifecycle().orElseThrow().reset();
        io.ioRead(0x300, read);
        assertArrayEquals(new byte[] {0, 0}, read);
    }

    @Test
    void savedStateRestoresIntoAFreshDeviceAndBadStateIsRefused() throws Exception {
        FakeBoard board = new FakeBoard();
        ChipsetDevice device = resolver.resolve(new ScratchRegisterHandle(0x300), board.context("scratch0"));
        FakeBus io = board.attach(device);
        io.ioWrite(0x300, new byte[] {0x5a});
        SavedStateBlob blob = device.capabilities().savedState().orElseThrow().save();

        FakeBoard other = new FakeBoard();
        ChipsetDevice copy = resolver.resolve(new ScratchRegisterHandle(0x300), other.context("scratch0"));
        FakeBus copyIo = other.attach(copy);
        copy.capabilities().savedState().orElseThrow().restore(blob);
        byte[] read = new byte[1];
        copyIo.ioRead(0x300, read);
        assertArrayEquals(new byte[] {0x5a}, read);

        SaveRestore state = copy.capabilities().savedState().orElseThrow();
        assertThrows(IllegalArgumentException.class, () -> state.restore(new SavedStateBlob("other.device", 1, blob.data())));
        assertThrows(IllegalArgumentException.class, () -> state.restore(new SavedStateBlob(blob.format(), 2, blob.data())));
        assertThrows(IllegalArgumentException.class, () -> state.restore(new SavedStateBlob(blob.format(), 1, new byte[3])));
        assertEquals(blob, state.save(), "a refused state changes nothing");
    }
}
