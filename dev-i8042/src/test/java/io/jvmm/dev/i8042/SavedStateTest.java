package io.jvmm.dev.i8042;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.SaveRestore;
import io.jvmm.api.device.SavedStateBlob;
import io.jvmm.runtime.input.KeyNames;
import java.util.Arrays;
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
        assertEquals(1, blob.version());

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

    @Test
    void badBlobsAreRejectedAndLeaveStateUnchanged() {
        Rig rig = busy();
        SaveRestore s = rig.device.capabilities().savedState().orElseThrow();
        SavedStateBlob good = s.save();
        byte[] data = good.data();

        assertMessage("format", () -> s.restore(new SavedStateBlob("serial.uart16550", 1, data)));
        assertMessage("version 2", () -> s.restore(new SavedStateBlob("chipset.i8042", 2, data)));
        assertMessage("truncated", () -> s.restore(new SavedStateBlob("chipset.i8042", 1,
                Arrays.copyOf(data, data.length - 1))));
        assertMessage("trailing", () -> s.restore(new SavedStateBlob("chipset.i8042", 1,
                Arrays.copyOf(data, data.length + 1))));
        byte[] badSource = data.clone();
        badSource[33] = 9;
        assertMessage("source", () -> s.restore(new SavedStateBlob("chipset.i8042", 1, badSource)));
        byte[] badTarget = data.clone();
        badTarget[35] = 0;
        badTarget[36] = 0x20;
        assertMessage("target", () -> s.restore(new SavedStateBlob("chipset.i8042", 1, badTarget)));
        byte[] longQueue = data.clone();
        longQueue[38] = 22;
        assertMessage("", () -> s.restore(new SavedStateBlob("chipset.i8042", 1, longQueue)));

        assertEquals(good, s.save(), "failed restores changed nothing");
    }

    private static void assertMessage(String part, org.junit.jupiter.api.function.Executable e) {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, e);
        assertTrue(ex.getMessage().startsWith("i8042 saved state") && ex.getMessage().contains(part), ex.getMessage());
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
