package io.jvmm.dev.pl011;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.handles.DisconnectedSerialHandle;
import io.jvmm.api.handles.Pl011Handle;
import io.jvmm.api.resource.ResolveException;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.api.resource.ResourceResolver;
import io.jvmm.api.serial.SerialBackend;
import io.jvmm.api.serial.SerialBackendListener;
import io.jvmm.testkit.FakeBoard;
import io.jvmm.testkit.FakeLine;
import io.jvmm.testkit.SerialPipe;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleDescriptor.Provides;
import java.lang.module.ModuleDescriptor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Handle validation, the region claim, the line and the service registration. */
class Pl011ResolverTest {
    private final FakeBoard board = new FakeBoard();

    private ChipsetDevice resolve(long base, int irq, SerialBackend backend) throws ResolveException {
        ChipsetDevice d = new Pl011Resolver().resolve(new Pl011Handle(base, irq, DisconnectedSerialHandle.resource()),
                board.context("com1", Map.of(ResourceKinds.SERIAL_BACKEND, backend)));
        board.attach(d); // the board claims what the device declares
        return d;
    }

    @Test
    void claimsItsPageAndOneLevelLine() throws ResolveException {
        ChipsetDevice d = resolve(Pl011Handle.COM1_BASE, Pl011Handle.COM1_IRQ, new SerialPipe().backend());
        assertEquals(List.of(FakeBoard.Claim.mmio("registers", 0xEFFEC000L, 0xEFFECFFFL)), board.claims());
        assertEquals(1, board.lines().size());
        assertEquals("irq", board.lines().get(0).lineSet());
        assertEquals("interrupt", board.lines().get(0).label());
        assertEquals(Pl011Handle.COM1_IRQ, board.lines().get(0).vector());
        assertTrue(d.capabilities().mmio().isPresent() && d.capabilities().portIo().isEmpty());
        assertTrue(d.capabilities().pollDevice().isPresent() && d.capabilities().lifecycle().isPresent() && d.capabilities().savedState().isPresent());
    }

    /** Records close() so the test sees the resolver release what it resolved. */
    static final class ClosableBackend implements SerialBackend {
        boolean closed;

        @Override
        public boolean isConnected() {
            return true;
        }

        @Override
        public int write(byte[] data, int offset, int length) {
            return length;
        }

        @Override
        public int read(byte[] data, int offset, int length) {
            return 0;
        }

        @Override
        public void setListener(SerialBackendListener listener) {}

        @Override
        public void close() {
            closed = true;
        }
    }

    @Test
    void badHandlesAreRejectedWithClearMessages() {
        ResolveException e = assertThrows(ResolveException.class,
                () -> resolve(0xEFFEC800L, 1, new SerialPipe().backend()));
        assertTrue(e.getMessage().contains("com1") && e.getMessage().contains("0xeffec800")
                && e.getMessage().contains("4 KiB aligned") && e.getMessage().contains("0xeffec000"), e.getMessage());
        e = assertThrows(ResolveException.class, () -> resolve(0xD000_0000L, -1, new SerialPipe().backend()));
        assertTrue(e.getMessage().contains("irq"), e.getMessage());
        assertTrue(board.claims().isEmpty(), "nothing claimed for a bad handle");
    }

    @Test
    void theHighestPageIsAccepted() throws ResolveException {
        resolve(0xFFFF_FFFF_FFFF_F000L, 0, new SerialPipe().backend());
        assertEquals(FakeBoard.Claim.mmio("registers", 0xFFFF_FFFF_FFFF_F000L, 0xFFFF_FFFF_FFFF_FFFFL),
                board.claims().get(0));
    }

    @Test
    void aFailedClaimClosesTheBackend() {
        ClosableBackend backend = new ClosableBackend();
        FakeBoard failing = new FakeBoard() {
            @Override
            public FakeLine newLine(String lineSet, String label, int vector) {
                throw new IllegalStateException("line " + vector + " has 16 sources");
            }
        };
        assertThrows(IllegalStateException.class, () -> new Pl011Resolver().resolve(
                new Pl011Handle(0xD000_0000L, 5, DisconnectedSerialHandle.resource()),
                failing.context("x", Map.of(ResourceKinds.SERIAL_BACKEND, backend))));
        assertTrue(backend.closed);
    }

    @Test
    void resolverIdentityAndServiceRegistration() {
        Pl011Resolver r = new Pl011Resolver();
        assertEquals("serial_pl011", r.id());
        assertEquals(ResourceKinds.CHIPSET_DEVICE, r.kind());
        assertEquals(Pl011Handle.class, r.handleType());
        ModuleDescriptor module = Pl011Resolver.class.getModule().getDescriptor();
        assertEquals("io.jvmm.dev.pl011", module.name());
        assertEquals(1, module.provides().size());
        Provides p = module.provides().iterator().next();
        assertEquals(ResourceResolver.class.getName(), p.service());
        assertEquals(List.of(Pl011Resolver.class.getName()), p.providers(), "provided through module-info");
        assertTrue(module.exports().isEmpty(), "exports nothing");
    }
}
