package io.jvmm.dev.pl011;

import static io.jvmm.dev.pl011.Pl011Registers.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.SaveRestore;
import io.jvmm.api.device.SavedStateBlob;
import io.jvmm.testkit.SerialPipe;
import java.util.Arrays;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class Pl011SavedStateTest {
    private final SerialPipe pipe = new SerialPipe(4, true);
    private final Pl011Harness u = Pl011Harness.on(pipe);

    /** A busy UART: divisors latched and staged, every register set, RX and TX data pending. */
    private void makeBusy() {
        u.w(CR, 0);
        u.w(IBRD, 13);
        u.w(FBRD, 1);
        u.w(LCR_H, LCR_H_WLEN_8 | LCR_H_FEN);
        u.w(IBRD, 26); // staged, not latched
        u.w(FBRD, 3);
        u.w(ILPR, 0x42);
        u.w(IFLS, 0x09);
        u.w(DMACR, 0x4);
        u.w(ICR, INT_ALL);
        u.w(IMSC, INT_RX | INT_RT | INT_TX);
        u.w(CR, CR_UARTEN | CR_TXE | CR_RXE | CR_DTR | CR_RTS);
        pipe.hostWrite("rx-data");
        for (char c : "tx-pending".toCharArray()) {
            u.w(DR, c);
        }
        u.poll(); // the backend takes 4 bytes, 6 stay in TX
    }

    @Test
    void roundTripRestoresEveryRegisterAndBothBuffers() {
        makeBusy();
        SaveRestore s = u.device.capabilities().savedState().orElseThrow();
        SavedStateBlob blob = s.save();
        assertEquals("serial.pl011", blob.format());
        assertEquals(1, blob.version());

        SerialPipe other = new SerialPipe(64, true);
        Pl011Harness v = Pl011Harness.on(other);
        v.device.capabilities().savedState().orElseThrow().restore(blob);
        assertEquals(blob, v.device.capabilities().savedState().orElseThrow().save(), "restore then save is the identity");
        for (int reg : new int[] {ILPR, IBRD, FBRD, LCR_H, CR, IFLS, IMSC, RIS, MIS, DMACR, FR}) {
            assertEquals(u.r(reg), v.r(reg), "register 0x" + Integer.toHexString(reg));
        }
        assertEquals(13, v.r(IBRD));
        assertEquals(1, v.r(FBRD));
        // 7 bytes wait below the RX trigger of 8 (RT only); TX drained from 10 to 6, below its trigger of 8.
        assertEquals(INT_RT | INT_TX, v.r(MIS));
        assertTrue(v.line().level(), "restored interrupt state drives the line");

        // The staged divisors survive too: the next LCR_H write with the UART disabled latches them.
        v.w(CR, 0);
        v.w(LCR_H, LCR_H_WLEN_8 | LCR_H_FEN);
        assertEquals(26, v.r(IBRD));
        assertEquals(3, v.r(FBRD));
        v.w(CR, CR_UARTEN | CR_TXE | CR_RXE);
        assertEquals("rx-data", v.readAll());
        v.poll();
        assertEquals("ending", other.hostOutput(), "the unsent TX bytes go out after restore");
    }

    @Test
    void restoredConnectivityIsReconciledWithTheBackendAtTheNextPoll() {
        SavedStateBlob connected = u.device.capabilities().savedState().orElseThrow().save();
        SerialPipe off = new SerialPipe(64, false);
        Pl011Harness v = Pl011Harness.on(off);
        v.device.capabilities().savedState().orElseThrow().restore(connected);
        v.w(ICR, INT_ALL);
        assertEquals(FR_CTS | FR_DSR | FR_DCD, v.r(FR) & (FR_CTS | FR_DSR | FR_DCD), "as saved");
        v.poll();
        assertEquals(0, v.r(FR) & (FR_CTS | FR_DSR | FR_DCD), "the backend is not connected");
        assertEquals(INT_MODEM_CHANGE, v.r(RIS), "reported as a change");
    }

    private void assertRejected(SavedStateBlob bad, String expected) {
        SaveRestore s = u.device.capabilities().savedState().orElseThrow();
        SavedStateBlob before = s.save();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.restore(bad));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertTrue(e.getMessage().startsWith("PL011 saved state"), e.getMessage());
        assertEquals(before, s.save(), "a rejected blob changes nothing");
    }

    private static SavedStateBlob mutate(SavedStateBlob b, Consumer<byte[]> change) {
        byte[] d = b.data();
        change.accept(d);
        return new SavedStateBlob(b.format(), b.version(), d);
    }

    @Test
    void badBlobsAreRejected() {
        makeBusy();
        SavedStateBlob good = u.device.capabilities().savedState().orElseThrow().save();
        assertRejected(new SavedStateBlob("serial.uart16550", 1, good.data()), "format");
        assertRejected(new SavedStateBlob(good.format(), 2, good.data()), "version 2");
        assertRejected(new SavedStateBlob(good.format(), 1, Arrays.copyOf(good.data(), 12)), "truncated");
        assertRejected(new SavedStateBlob(good.format(), 1, Arrays.copyOf(good.data(), good.data().length + 1)),
                "trailing");
        assertRejected(mutate(good, d -> d[3] = (byte) 0x40), "FBRD");
        assertRejected(mutate(good, d -> d[9] = (byte) 0x08), "CR");
        assertRejected(mutate(good, d -> d[10] = (byte) 0x40), "IFLS");
        assertRejected(mutate(good, d -> d[11] = (byte) 0x08), "interrupt bits");
        assertRejected(mutate(good, d -> d[15] = (byte) 0x08), "DMACR");
        assertRejected(mutate(good, d -> d[16] = (byte) 0x02), "flag");
        assertRejected(mutate(good, d -> {
            d[17] = 0x01;
            d[18] = 0x01;
        }), "exceeds");
    }
}
