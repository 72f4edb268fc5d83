package io.jvmm.dev.i8042;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.SaveRestore;
import io.jvmm.api.device.SavedStateBlob;
import io.jvmm.runtime.input.KeyNames;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import io.jvmm.api.input.KeyEvent;
import io.jvmm.api.support.StateFormat;
import org.junit.jupiter.api.Test;

class SavedStateTest {
    /** A controller in a busy state: custom RAM, A20 off, bytes queued everywhere, a command pending. */
    private static Rig busy() {
        Rig rig = new Rig();
        rig.command(0x60, 0x44);
        rig.command(0x7F, 0x5A);
        rig.command(0xD1, 0xDD);
        rig.keys.sendAll(KeyNames.parse("x up"));
        rig.poll(); // keyboard: 2D AD E0 48 E0 C8, first in the buffer
        rig.command(0xD4, 0xFF); // mouse: FA AA 00
        rig.write(0x64, 0xD2); // a controller command awaiting its data byte
        return rig;
    }

    @Test
    void roundTripRestoresEverything() {
        Rig a = busy();
        SaveRestore sa = a.device.capabilities().savedState().orElseThrow();
        SavedStateBlob blob = sa.save();
        assertEquals("chipset.i8042", blob.format());
        assertEquals(2, blob.version(), "version 2: the shared StateFormat encoding");

        Rig b = new Rig();
        SaveRestore sb = b.device.capabilities().savedState().orElseThrow();
        sb.restore(blob);
        assertEquals(blob, sb.save(), "restored state saves identically");
        assertEquals(a.status(), b.status());

        // Both behave the same from here on.
        for (Rig r : new Rig[] {a, b}) {
            r.write(0x60, 0x77); // the pending 0xD2 data byte
        }
        int[] fromA = drain(a);
        int[] fromB = drain(b);
        assertArrayEquals(fromA, fromB);
        assertArrayEquals(new int[] {0x77, 0xFA, 0xAA, 0x00, 0xAD, 0xE0, 0x48, 0xE0, 0xC8}, fromB,
                Arrays.toString(fromB));
        b.command(0x3F);
        assertEquals(0x5A, b.data());
        b.command(0xD0);
        assertEquals(0x45, b.data(), "A20 off survived");
        b.command(0x20);
        assertEquals(0x44, b.data());
    }

    @Test
    void restoreSetsLines() {
        Rig a = new Rig();
        a.command(0xD2, 0x10);
        assertTrue(a.irq1());
        Rig b = new Rig();
        b.device.capabilities().savedState().orElseThrow().restore(a.device.capabilities().savedState().orElseThrow().save());
        assertTrue(b.irq1());
        a.data();
        b.device.capabilities().savedState().orElseThrow().restore(a.device.capabilities().savedState().orElseThrow().save());
        assertFalse(b.irq1());
    }

    @Test
    void keyboardSettingsSurvive() {
        Rig a = new Rig();
        a.write(0x60, 0xED);
        a.write(0x60, 0x05);
        a.write(0x60, 0xF3);
        a.write(0x60, 0x1F);
        a.write(0x60, 0xF5);
        a.flush();
        Rig b = new Rig();
        b.device.capabilities().savedState().orElseThrow().restore(a.device.capabilities().savedState().orElseThrow().save());
        Ps2Keyboard k = ((I8042Device) b.device).keyboard();
        assertEquals(0, k.leds(), "F5 restored defaults");
        assertFalse(k.scanning());
        a.write(0x60, 0xFE);
        b.write(0x60, 0xFE);
        assertEquals(a.readByte(), b.readByte(), "last sent byte survived");
    }

    /** Fields of a state with any values (the record would refuse the bad ones), written as chipset.i8042 v2. */
    private static SavedStateBlob raw(int source, int target, int kbdQueue, int kbdPending, int mouseQueue) {
        record Raw(int source, int target, int kbdQueue, int kbdPending, int mouseQueue) {}
        return StateFormat.<Raw>of("chipset.i8042", 2, (r, out) -> out.bytes("ram", new byte[32])
                .u8("output_buffer", 0).u8("output_source", r.source()).bool("last_write_command", false)
                .u16("data_target", r.target()).bool("a20", true).bytes("kbd_queue", new byte[r.kbdQueue()])
                .bool("kbd_scanning", true).u8("kbd_pending_command", r.kbdPending()).u8("kbd_last_sent", 0)
                .u8("kbd_leds", 0).u8("kbd_typematic", 0x2B).bytes("mouse_queue", new byte[r.mouseQueue()]),
                in -> null).save(new Raw(source, target, kbdQueue, kbdPending, mouseQueue));
    }

    @Test
    void badBlobsAreRejectedAndLeaveStateUnchanged() {
        Rig rig = busy();
        SaveRestore s = rig.device.capabilities().savedState().orElseThrow();
        SavedStateBlob good = s.save();
        byte[] data = good.data();
        boolean irq1 = rig.irq1();

        assertMessage("format", () -> s.restore(new SavedStateBlob("serial.uart16550", 2, data)));
        assertMessage("version 3", () -> s.restore(new SavedStateBlob("chipset.i8042", 3, data)));
        assertMessage("'mouse_queue' claims", () -> s.restore(new SavedStateBlob("chipset.i8042", 2,
                Arrays.copyOf(data, data.length - 1))));
        assertMessage("truncated", () -> s.restore(new SavedStateBlob("chipset.i8042", 2,
                Arrays.copyOf(data, data.length + 1))));
        s.restore(raw(2, 0x100, 0, 0, 0)); // the raw writer makes valid states too
        s.restore(good);
        assertMessage("source", () -> s.restore(raw(9, 0x100, 0, 0, 0)));
        assertMessage("target", () -> s.restore(raw(2, 0x20, 0, 0, 0)));
        assertMessage("kbd_queue", () -> s.restore(raw(2, 0x100, 22, 0, 0)));
        assertMessage("pending command", () -> s.restore(raw(2, 0x100, 0, 0xF4, 0)));
        assertMessage("mouse_queue", () -> s.restore(raw(2, 0x100, 0, 0, 17)));

        assertEquals(good, s.save(), "failed restores changed nothing");
        assertEquals(irq1, rig.irq1(), "nor the line");
    }

    @Test
    void resetGoesBackToThePowerOnState() {
        Rig rig = busy();
        rig.device.capabilities().lifecycle().orElseThrow().reset();
        assertEquals(new Rig().device.capabilities().savedState().orElseThrow().save(),
                rig.device.capabilities().savedState().orElseThrow().save());
        assertFalse(rig.irq1());
        assertFalse(rig.irq12());
    }

    private static void assertMessage(String part, org.junit.jupiter.api.function.Executable e) {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, e);
        assertTrue(ex.getMessage().contains("chipset.i8042") && ex.getMessage().contains(part), ex.getMessage());
    }

    // ---- property: random traffic, save, restore into a fresh device, identical behaviour

    /** Codes of real keys: plain and E0-prefixed (set 1, as the host input sends them). */
    private static final int[] KEY_CODES = {0x1E, 0x2D, 0x1C, 0x39, 0x01, 0xE048, 0xE04B, 0xE01D};
    /** Controller commands a guest driver uses (0xFE, a reset pulse, is left out: it only requests power). */
    private static final int[] COMMANDS = {0x20, 0x21, 0x3F, 0x60, 0x7F, 0xA7, 0xA8, 0xA9, 0xAA, 0xAB, 0xAD, 0xAE,
            0xC0, 0xD0, 0xD1, 0xD2, 0xD3, 0xD4, 0xA1};
    /** Keyboard commands and data bytes. */
    private static final int[] KEYBOARD_BYTES = {0xED, 0xEE, 0xF0, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xFE, 0xFF, 0x00,
            0x02, 0x05, 0x1F, 0x07};

    private static final class Twin {
        final Rig rig = new Rig();
        final List<KeyEvent> sent = new ArrayList<>();

        String step(Random r) {
            switch (r.nextInt(9)) {
                case 0, 1 -> {
                    int c = COMMANDS[r.nextInt(COMMANDS.length)];
                    rig.write(0x64, c);
                    return "command " + c;
                }
                case 2, 3 -> {
                    int b = r.nextBoolean() ? KEYBOARD_BYTES[r.nextInt(KEYBOARD_BYTES.length)] : r.nextInt(256);
                    rig.write(0x60, b); // after 0xD1, bit 0 clear requests a reset: compared below
                    return "data " + b;
                }
                case 4, 5 -> {
                    return "read 0x60 = " + rig.data();
                }
                case 6 -> {
                    return "status " + rig.status();
                }
                case 7 -> {
                    KeyEvent e = new KeyEvent(KEY_CODES[r.nextInt(KEY_CODES.length)], r.nextBoolean());
                    if (rig.keys.send(e)) {
                        sent.add(e);
                    }
                    return "key " + e;
                }
                default -> {
                    rig.poll();
                    return "poll";
                }
            }
        }
    }

    @Test
    void randomTrafficThenRestoreIntoAFreshDeviceBehavesIdentically() {
        for (int seed = 0; seed < 300; seed++) {
            Random setup = new Random(seed);
            Twin a = new Twin();
            int before = setup.nextInt(200);
            for (int i = 0; i < before; i++) {
                a.step(setup);
            }
            SavedStateBlob blob = a.rig.device.capabilities().savedState().orElseThrow().save();
            Twin b = new Twin();
            // the host keys not yet taken by the keyboard wait in the new run's input too
            b.rig.keys.sendAll(a.sent.subList(a.sent.size() - a.rig.keys.queued(), a.sent.size()));
            b.rig.device.capabilities().savedState().orElseThrow().restore(blob);
            assertEquals(blob, b.rig.device.capabilities().savedState().orElseThrow().save(), "seed " + seed);
            assertEquals(a.rig.irq1(), b.rig.irq1(), "seed " + seed + ": IRQ 1 after restore");
            assertEquals(a.rig.irq12(), b.rig.irq12(), "seed " + seed + ": IRQ 12 after restore");
            int powerBefore = a.rig.board.powerRequests().size();
            assertEquals(0, b.rig.board.powerRequests().size());

            long next = setup.nextLong();
            Random ra = new Random(next);
            Random rb = new Random(next);
            for (int i = 0; i < 150; i++) {
                String sa = a.step(ra);
                String sb = b.step(rb);
                assertEquals(sa, sb, "seed " + seed + " step " + i);
                assertEquals(a.rig.irq1(), b.rig.irq1(), "seed " + seed + " IRQ 1 after step " + i + ": " + sa);
                assertEquals(a.rig.irq12(), b.rig.irq12(), "seed " + seed + " IRQ 12 after step " + i + ": " + sa);
                assertEquals(a.rig.board.powerRequests().subList(powerBefore, a.rig.board.powerRequests().size()),
                        b.rig.board.powerRequests(), "seed " + seed + " power requests after step " + i);
                assertEquals(a.rig.device.capabilities().savedState().orElseThrow().save(),
                        b.rig.device.capabilities().savedState().orElseThrow().save(),
                        "seed " + seed + " state after step " + i + ": " + sa);
            }
        }
    }

    private static int[] drain(Rig rig) {
        int[] out = new int[64];
        int n = 0;
        while (rig.outputFull() && n < 64) {
            out[n++] = rig.data();
        }
        return Arrays.copyOf(out, n);
    }
}
