package io.jvmm.dev.pl011;

import static io.jvmm.dev.pl011.Pl011Registers.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.SaveRestore;
import io.jvmm.api.device.SavedStateBlob;
import io.jvmm.testkit.SerialPipe;
import java.util.Arrays;
import java.util.Random;
import io.jvmm.api.support.StateFormat;
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
        assertEquals(2, blob.version(), "version 2: the shared StateFormat encoding");

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
        boolean line = u.line().level();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.restore(bad));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertTrue(e.getMessage().contains("serial.pl011"), e.getMessage());
        assertEquals(before, s.save(), "a rejected blob changes nothing");
        assertEquals(line, u.line().level(), "nor the line");
    }

    /** A state with any register values (the record would refuse the bad ones), written as serial.pl011 v2. */
    private static SavedStateBlob raw(int fbrd, int cr, int ifls, int imsc, int dmacr, int rxBytes) {
        record Raw(int fbrd, int cr, int ifls, int imsc, int dmacr, byte[] rx) {}
        return StateFormat.<Raw>of("serial.pl011", 2,
                (r, out) -> out.u8("ilpr", 0).u16("ibrd", 1).u8("fbrd", r.fbrd()).u16("staged_ibrd", 1)
                        .u8("staged_fbrd", 0).u8("lcr_h", 0).u16("cr", r.cr()).u8("ifls", r.ifls())
                        .u16("imsc", r.imsc()).u16("ris", 0).u8("dmacr", r.dmacr()).bool("connected", true)
                        .bytes("rx", r.rx()).bytes("tx", new byte[0]),
                in -> null).save(new Raw(fbrd, cr, ifls, imsc, dmacr, new byte[rxBytes]));
    }

    @Test
    void badBlobsAreRejected() {
        makeBusy();
        SavedStateBlob good = u.device.capabilities().savedState().orElseThrow().save();
        byte[] d = good.data();
        assertRejected(new SavedStateBlob("serial.uart16550", 2, d), "format");
        assertRejected(new SavedStateBlob(good.format(), 3, d), "version 3");
        assertRejected(new SavedStateBlob(good.format(), 1, d), "no longer read");
        assertRejected(new SavedStateBlob(good.format(), 2, Arrays.copyOf(d, 13)), "truncated");
        assertRejected(new SavedStateBlob(good.format(), 2, Arrays.copyOf(d, d.length + 1)), "truncated");
        assertTrue(raw(0, 0, 0, 0, 0, 0).data().length > 0);
        assertRejected(raw(0x40, 0, 0, 0, 0, 0), "FBRD");
        assertRejected(raw(0, 0x08, 0, 0, 0, 0), "CR");
        assertRejected(raw(0, 0, 0x40, 0, 0, 0), "IFLS");
        assertRejected(raw(0, 0, 0, 0x800, 0, 0), "interrupt bits");
        assertRejected(raw(0, 0, 0, 0, 0x08, 0), "DMACR");
        assertRejected(raw(0, 0, 0, 0, 0, 257), "at most 256");
        Random random = new Random(19);
        for (int i = 0; i < 2000; i++) {
            byte[] corrupt = d.clone();
            corrupt[random.nextInt(corrupt.length)] ^= (byte) (1 + random.nextInt(255));
            SaveRestore s = u.device.capabilities().savedState().orElseThrow();
            SavedStateBlob before = s.save();
            try {
                s.restore(new SavedStateBlob(good.format(), 2, corrupt));
                s.restore(before); // a corruption that still decodes (a register value): put it back
            } catch (IllegalArgumentException expected) {
                assertEquals(before, s.save(), "a rejected blob changes nothing");
            }
        }
    }

    @Test
    void resetGoesBackToThePowerOnState() {
        Pl011Harness fresh = Pl011Harness.on(new SerialPipe(4, true));
        makeBusy();
        u.device.capabilities().lifecycle().orElseThrow().reset();
        assertEquals(fresh.device.capabilities().savedState().orElseThrow().save(),
                u.device.capabilities().savedState().orElseThrow().save(), "reset state = a freshly built device's");
        assertFalse(u.line().level());
    }

    // ---- property: random traffic, save, restore into a fresh device, identical behaviour

    private static final int[] WRITABLE = {DR, RSR_ECR, ILPR, IBRD, FBRD, LCR_H, CR, IFLS, IMSC, ICR, DMACR};
    private static final int[] READABLE = {DR, RSR_ECR, FR, ILPR, IBRD, FBRD, LCR_H, CR, IFLS, IMSC, RIS, MIS, DMACR};

    /** One PL011 on its own pipe, as the resolver builds it, with the host side driven by the test. */
    private static final class Rig {
        final SerialPipe pipe = new SerialPipe(8, true);
        final Pl011Harness h = Pl011Harness.on(pipe);
        final StringBuilder sent = new StringBuilder();
        boolean connected = true;

        String step(Random r) {
            switch (r.nextInt(10)) {
                case 0, 1, 2 -> {
                    int reg = WRITABLE[r.nextInt(WRITABLE.length)];
                    int value = r.nextInt(0x10000);
                    if (reg == CR && r.nextBoolean()) {
                        value |= CR_UARTEN | CR_TXE | CR_RXE;
                    }
                    h.w(reg, value);
                    return "w " + reg + " " + value;
                }
                case 3, 4, 5 -> {
                    int reg = READABLE[r.nextInt(READABLE.length)];
                    return "r " + reg + " = " + h.r(reg);
                }
                case 6 -> {
                    byte[] b = new byte[1 + r.nextInt(40)];
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
            return "line " + h.line().level() + " state " + h.device.capabilities().savedState().orElseThrow().save();
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
            SavedStateBlob blob = a.h.device.capabilities().savedState().orElseThrow().save();

            Rig b = new Rig();
            b.connected = a.connected;
            b.pipe.setConnected(a.connected);
            b.pipe.hostWrite(a.sent.substring(a.sent.length() - a.pipe.pendingInput())); // input not yet taken
            b.h.device.capabilities().savedState().orElseThrow().restore(blob);
            assertEquals(blob, b.h.device.capabilities().savedState().orElseThrow().save(),
                    "seed " + seed + ": restore(save()) is the identity");
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
            assertEquals(a.h.readAll(), b.h.readAll(), "seed " + seed + ": identical input");
        }
    }
}
