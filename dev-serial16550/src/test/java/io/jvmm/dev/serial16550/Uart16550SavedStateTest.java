package io.jvmm.dev.serial16550;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.SaveRestore;
import io.jvmm.api.device.SavedStateBlob;
import io.jvmm.testkit.SerialPipe;
import java.util.Arrays;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class Uart16550SavedStateTest {
    static final int THR = 0, DLL = 0, IER = 1, DLM = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6,
            SCR = 7;

    private final SerialPipe pipe = new SerialPipe(4, true);
    private final UartHarness u = UartHarness.com1(pipe);

    /** A busy UART: divisor, FIFO trigger, pending RX, pending TX, overrun-free, MSR deltas. */
    private void makeBusy() {
        u.out(LCR, 0x80);
        u.out(DLL, 0x0C);
        u.out(DLM, 0x02);
        u.out(LCR, 0x1B);
        u.out(FCR, 0x81);
        u.out(IER, 0x0B);
        u.out(MCR, 0x0B);
        u.out(SCR, 0x99);
        pipe.hostWrite("rx-data");
        for (char c : "tx-pending".toCharArray()) {
            u.out(THR, c);
        }
        u.poll(); // the backend takes 4 bytes, 6 stay in TX
    }

    @Test
    void roundTripRestoresEveryRegisterAndBothBuffers() {
        makeBusy();
        SaveRestore s = u.device.capabilities().savedState().orElseThrow();
        SavedStateBlob blob = s.save();
        assertEquals("serial.uart16550", blob.format());
        assertEquals(1, blob.version());

        SerialPipe other = new SerialPipe(64, true);
        UartHarness v = UartHarness.com1(other);
        v.device.capabilities().savedState().orElseThrow().restore(blob);
        assertEquals(blob, v.device.capabilities().savedState().orElseThrow().save(), "restore then save is the identity");
        assertEquals(0x1B, v.in(LCR));
        assertEquals(0x0B, v.in(IER));
        assertEquals(0x0B, v.in(MCR));
        assertEquals(0x99, v.in(SCR));
        assertEquals(0xCC, v.in(IIR), "FIFOs on, 7 bytes below the trigger of 8: character timeout");
    }

    @Test
    void roundTripDetails() {
        makeBusy();
        SavedStateBlob blob = u.device.capabilities().savedState().orElseThrow().save();
        SerialPipe other = new SerialPipe(64, true);
        UartHarness v = UartHarness.com1(other);
        v.device.capabilities().savedState().orElseThrow().restore(blob);
        assertEquals(0xBB, v.in(MSR), "deltas kept");
        assertEquals(0x01, v.in(LSR), "RX data, TX not empty");
        v.out(LCR, 0x80);
        assertEquals(0x0C, v.in(DLL));
        assertEquals(0x02, v.in(DLM));
        v.out(LCR, 0x03);
        assertEquals("rx-data", v.readAll());
        v.poll();
        assertEquals("ending", other.hostOutput(), "the unsent TX bytes go out after restore");
        assertTrue(v.line().level(), "restored interrupt state drives the line");
    }

    private void assertRejected(SavedStateBlob bad, String expected) {
        SaveRestore s = u.device.capabilities().savedState().orElseThrow();
        SavedStateBlob before = s.save();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.restore(bad));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertEquals(before, s.save(), "a rejected blob changes nothing");
    }

    private SavedStateBlob mutate(SavedStateBlob b, Consumer<byte[]> change) {
        byte[] d = b.data();
        change.accept(d);
        return new SavedStateBlob(b.format(), b.version(), d);
    }

    @Test
    void badBlobsAreRejected() {
        makeBusy();
        SavedStateBlob good = u.device.capabilities().savedState().orElseThrow().save();
        assertRejected(new SavedStateBlob("serial.pl011", 1, good.data()), "format");
        assertRejected(new SavedStateBlob(good.format(), 2, good.data()), "version 2");
        assertRejected(new SavedStateBlob(good.format(), 1, Arrays.copyOf(good.data(), 12)), "truncated");
        assertRejected(new SavedStateBlob(good.format(), 1, Arrays.copyOf(good.data(), good.data().length + 1)),
                "trailing");
        assertRejected(mutate(good, d -> d[0] = (byte) 0x10), "IER");
        assertRejected(mutate(good, d -> d[2] = (byte) 0x20), "MCR");
        assertRejected(mutate(good, d -> d[4] = (byte) 0x02), "FCR");
        assertRejected(mutate(good, d -> d[8] = (byte) 0x04), "flag");
        assertRejected(mutate(good, d -> {
            d[9] = 0x01;
            d[10] = 0x01;
        }), "exceeds");
    }
}
