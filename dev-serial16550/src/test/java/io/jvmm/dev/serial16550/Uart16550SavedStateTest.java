package io.jvmm.dev.serial16550;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.SaveRestore;
import io.jvmm.api.device.SavedStateBlob;
import io.jvmm.api.support.StateFormat;
import io.jvmm.testkit.SerialPipe;
import java.util.Arrays;
import java.util.Random;
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

    private static SaveRestore state(UartHarness h) {
        return h.device.capabilities().savedState().orElseThrow();
    }

    @Test
    void roundTripRestoresEveryRegisterAndBothBuffers() {
        makeBusy();
        SavedStateBlob blob = state(u).save();
        assertEquals("serial.uart16550", blob.format());
        assertEquals(2, blob.version(), "version 2: the shared StateFormat encoding");

        SerialPipe other = new SerialPipe(64, true);
        UartHarness v = UartHarness.com1(other);
        state(v).restore(blob);
        assertEquals(blob, state(v).save(), "restore then save is the identity");
        assertEquals(0x1B, v.in(LCR));
        assertEquals(0x0B, v.in(IER));
        assertEquals(0x0B, v.in(MCR));
        assertEquals(0x99, v.in(SCR));
        assertEquals(0xCC, v.in(IIR), "FIFOs on, 7 bytes below the trigger of 8: character timeout");
    }

    @Test
    void roundTripDetails() {
        makeBusy();
        SavedStateBlob blob = state(u).save();
        SerialPipe other = new SerialPipe(64, true);
        UartHarness v = UartHarness.com1(other);
        state(v).restore(blob);
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

    /** Issue 19: bytes in the RX FIFO, RX interrupt enabled and pending; a fresh device asserts IRQ 4 at restore. */
    @Test
    void pendingReceiveInterruptSurvivesRestoreIntoAFreshDevice() {
        u.out(FCR, 0x01); // FIFOs on, trigger 1
        u.out(IER, 0x01); // RX data available
        u.out(MCR, 0x08); // OUT2: the interrupt reaches the PIC
        pipe.hostWrite("hello, 16550");
        u.poll();
        assertTrue(u.line().level());
        assertEquals(0xC4, u.in(IIR), "RX data available is pending");
        SavedStateBlob blob = state(u).save();

        UartHarness v = UartHarness.com1(new SerialPipe(64, true));
        assertFalse(v.line().level());
        state(v).restore(blob);
        assertTrue(v.line().level(), "restore asserts the line the restored registers say is pending");
        assertTrue(v.board.lineLevel("irq", 4), "IRQ 4 is high on the board");
        assertEquals(0xC4, v.in(IIR));
        assertEquals("hello, 16550", v.readAll(), "the FIFO's bytes, in order");
        assertFalse(v.line().level(), "drained: the line drops");
    }

    @Test
    void resetGoesBackToThePowerOnState() {
        UartHarness fresh = UartHarness.com1(new SerialPipe(4, true));
        makeBusy();
        u.device.capabilities().lifecycle().orElseThrow().reset();
        assertEquals(state(fresh).save(), state(u).save(), "reset state = state of a freshly built device");
        assertFalse(u.line().level());
    }

    private void assertRejected(SavedStateBlob bad, String expected) {
        SaveRestore s = state(u);
        SavedStateBlob before = s.save();
        boolean line = u.line().level();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.restore(bad));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertEquals(before, s.save(), "a rejected blob changes nothing");
        assertEquals(line, u.line().level(), "nor the line");
    }

    /** The fields of a state, written with any values (the record would refuse the bad ones). */
    record Raw(int ier, int mcr, int fcr, byte[] rx) {}

    private static SavedStateBlob raw(int ier, int mcr, int fcr, byte[] rx) {
        return StateFormat.<Raw>of("serial.uart16550", 2,
                (r, out) -> out.u8("ier", r.ier()).u8("lcr", 3).u8("mcr", r.mcr()).u8("msr", 0).u8("fcr", r.fcr())
                        .u8("dll", 1).u8("dlm", 0).u8("scratch", 0).bool("thr_acked", false)
                        .bool("overrun", false).bytes("rx", r.rx()).bytes("tx", new byte[0]),
                in -> null).save(new Raw(ier, mcr, fcr, rx));
    }

    @Test
    void badBlobsAreRejectedAndChangeNothing() {
        makeBusy();
        SavedStateBlob good = state(u).save();
        byte[] d = good.data();
        assertRejected(new SavedStateBlob("serial.pl011", 2, d), "format");
        assertRejected(new SavedStateBlob(good.format(), 3, d), "version 3");
        assertRejected(new SavedStateBlob(good.format(), 0, d), "version 0");
        assertRejected(new SavedStateBlob(good.format(), 1, d), "no longer read");
        assertRejected(new SavedStateBlob(good.format(), 2, Arrays.copyOf(d, 12)), "'mcr' is missing");
        assertRejected(new SavedStateBlob(good.format(), 2, Arrays.copyOf(d, 14)), "truncated");
        assertRejected(new SavedStateBlob(good.format(), 2, Arrays.copyOf(d, d.length + 1)), "truncated");
        assertRejected(raw(0x10, 0, 0, new byte[0]), "IER");
        assertRejected(raw(0, 0x20, 0, new byte[0]), "MCR");
        assertRejected(raw(0, 0, 0x02, new byte[0]), "FCR");
        assertRejected(raw(0, 0, 0, new byte[257]), "rx");
        Random random = new Random(19);
        for (int i = 0; i < 2000; i++) {
            byte[] corrupt = d.clone();
            corrupt[random.nextInt(corrupt.length)] ^= (byte) (1 + random.nextInt(255));
            SavedStateBlob bad = new SavedStateBlob(good.format(), 2, corrupt);
            SavedStateBlob before = state(u).save();
            try {
                state(u).restore(bad);
                state(u).restore(before); // a corruption that still decodes (a register value): put it back
            } catch (IllegalArgumentException expected) {
                assertEquals(before, state(u).save(), "a rejected blob changes nothing");
            }
        }
    }

    // ---- property: random traffic, save, restore into a fresh device, identical behaviour

    /** One UART on its own pipe, as the resolver builds it, with the host side driven by the test. */
    private static final class Rig {
        final SerialPipe pipe;
        final UartHarness h;
        /** Every byte the host ever sent, to give a twin's pipe the input not yet taken. */
        final StringBuilder sent = new StringBuilder();
        boolean connected = true;

        Rig() {
            pipe = new SerialPipe(8, true);
            h = UartHarness.com1(pipe);
        }

        /** One random guest or host action; returns what the guest or host observed. */
        String step(Random r) {
            int op = r.nextInt(10);
            switch (op) {
                case 0, 1, 2 -> {
                    int reg = r.nextInt(8);
                    int value = reg == LCR && r.nextBoolean() ? r.nextInt(2) * 0x80 | 0x03 : r.nextInt(256);
                    h.out(reg, value);
                    return "out " + reg + " " + value;
                }
                case 3, 4, 5 -> {
                    int reg = r.nextInt(8);
                    return "in " + reg + " = " + h.in(reg);
                }
                case 6 -> {
                    byte[] b = new byte[1 + r.nextInt(20)];
                    r.nextBytes(b);
                    String s = new String(b, java.nio.charset.StandardCharsets.ISO_8859_1);
                    sent.append(s);
                    pipe.hostWrite(s);
                    return "host sends " + b.length;
                }
                case 7 -> {
                    h.poll();
                    return "poll";
                }
                case 8 -> {
                    return "host reads " + pipe.hostOutput();
                }
                default -> {
                    if (r.nextInt(4) == 0) {
                        connected = !connected;
                        pipe.setConnected(connected);
                    }
                    return "connected " + connected;
                }
            }
        }

        String observe() {
            return "line " + h.line().level() + " state " + state(h).save();
        }
    }

    @Test
    void randomTrafficThenRestoreIntoAFreshDeviceBehavesIdentically() {
        for (int seed = 0; seed < 300; seed++) {
            Random setup = new Random(seed);
            Rig a = new Rig();
            int before = setup.nextInt(200);
            for (int i = 0; i < before; i++) {
                a.step(setup);
            }
            a.pipe.hostOutput(); // both pipes start with an empty output buffer
            a.pipe.clearTranscript();
            SavedStateBlob blob = state(a.h).save();

            Rig b = new Rig();
            b.pipe.setConnected(a.connected);
            b.connected = a.connected;
            int pending = a.pipe.pendingInput();
            b.pipe.hostWrite(a.sent.substring(a.sent.length() - pending)); // host input not yet taken
            state(b.h).restore(blob);
            assertEquals(blob, state(b.h).save(), "seed " + seed + ": restore(save()) is the identity");
            assertEquals(a.h.line().level(), b.h.line().level(), "seed " + seed + ": line level after restore");

            long next = setup.nextLong();
            Random ra = new Random(next);
            Random rb = new Random(next);
            for (int i = 0; i < 150; i++) {
                String sa = a.step(ra);
                String sb = b.step(rb);
                assertEquals(sa, sb, "seed " + seed + " step " + i);
                assertEquals(a.observe(), b.observe(), "seed " + seed + " after step " + i + ": " + sa);
            }
            a.h.poll();
            b.h.poll();
            assertEquals(a.pipe.hostOutput(), b.pipe.hostOutput(), "seed " + seed + ": identical output");
            a.h.out(LCR, 0x03); // DLAB off, so RBR reads drain the FIFO
            b.h.out(LCR, 0x03);
            assertArrayEquals(a.h.readAll().getBytes(), b.h.readAll().getBytes(), "seed " + seed + ": identical input");
        }
    }
}
