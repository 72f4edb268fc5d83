package io.jvmm.dev.i8042;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.PowerAction;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Linux's i8042 and atkbd probe, replayed register by register the way the drivers do it: wait
 * for IBF clear before each write, wait for OBF before each read, with bounded retries.
 */
class LinuxProbeTest {
    private final Rig rig = new Rig();

    private void waitWrite() {
        for (int i = 0; i < 10_000; i++) {
            if ((rig.status() & 0x02) == 0) {
                return;
            }
        }
        throw new AssertionError("IBF never cleared");
    }

    private int waitRead() {
        for (int i = 0; i < 10_000; i++) {
            if ((rig.status() & 0x01) != 0) {
                return rig.data();
            }
        }
        throw new AssertionError("OBF never set");
    }

    /** i8042_command: command byte to 0x64, parameters to 0x60, results from 0x60. */
    private int[] i8042Command(int command, int results, int... params) {
        waitWrite();
        rig.write(0x64, command);
        for (int p : params) {
            waitWrite();
            rig.write(0x60, p);
        }
        int[] out = new int[results];
        for (int i = 0; i < results; i++) {
            out[i] = waitRead();
        }
        return out;
    }

    /** ps2_command on the keyboard port: byte to 0x60, ACK, then the answer bytes. */
    private int[] kbdCommand(int command, int answers) {
        waitWrite();
        rig.write(0x60, command);
        int[] out = new int[answers + 1];
        for (int i = 0; i <= answers; i++) {
            out[i] = waitRead();
        }
        return out;
    }

    @Test
    void probeSequence() {
        // i8042_controller_check / i8042_flush: read status, drain the output buffer.
        int flushed = 0;
        while ((rig.status() & 0x01) != 0 && flushed < 64) {
            rig.data();
            flushed++;
        }
        assertEquals(0, flushed);

        // i8042_controller_selftest: 0xAA -> 0x55.
        assertEquals(0x55, i8042Command(0xAA, 1)[0]);

        // i8042_controller_init: read the CTR, twice for sanity; disable IRQs and write it back.
        int ctr = i8042Command(0x20, 1)[0];
        assertEquals(0x47, ctr);
        assertEquals(ctr, i8042Command(0x20, 1)[0]);
        ctr &= ~0x03; // no IRQs while probing
        ctr |= 0x40; // translation stays on
        i8042Command(0x60, 0, ctr);
        assertEquals(ctr, i8042Command(0x20, 1)[0]);

        // i8042_check_aux: loopback 0xD3 0x5A -> 0x5A as AUX data; 0xA7, 0xA8 toggle CTR bit 5.
        assertEquals(0x5A, i8042Command(0xD3, 1, 0x5A)[0]);
        i8042Command(0xA7, 0);
        assertTrue((i8042Command(0x20, 1)[0] & 0x20) != 0, "aux disabled");
        i8042Command(0xA8, 0);
        assertFalse((i8042Command(0x20, 1)[0] & 0x20) != 0, "aux enabled");

        // Keyboard interface test: 0xAB -> 0x00.
        assertEquals(0x00, i8042Command(0xAB, 1)[0]);

        // atkbd_probe: reset (optional), identify, then enable.
        assertArrayEquals(new int[] {0xFA, 0xAA}, kbdCommand(0xFF, 1));
        assertArrayEquals(new int[] {0xFA, 0xAB, 0x41}, kbdCommand(0xF2, 2));
        assertArrayEquals(new int[] {0xFA}, kbdCommand(0xED, 0));
        assertArrayEquals(new int[] {0xFA}, kbdCommand(0x00, 0));
        assertArrayEquals(new int[] {0xFA}, kbdCommand(0xF4, 0));

        // i8042_enable_kbd_port: IRQ1 on.
        ctr |= 0x01;
        i8042Command(0x60, 0, ctr);
        assertFalse(rig.irq1(), "nothing pending");
        assertFalse(rig.outputFull());

        // Reboot through the controller (machine_emergency_restart -> kb_wait; outb(0xfe, 0x64)).
        waitWrite();
        rig.write(0x64, 0xFE);
        assertEquals(List.of(PowerAction.RESET), rig.board.powerRequests());
    }

    private static void assertArrayEquals(int[] expected, int[] actual) {
        org.junit.jupiter.api.Assertions.assertArrayEquals(expected, actual,
                () -> java.util.Arrays.toString(actual));
    }
}
