package io.jvmm.dev.i8042;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.input.KeyEvent;
import io.jvmm.api.resource.ResolveException;
import io.jvmm.runtime.input.KeyNames;
import org.junit.jupiter.api.Test;

/** Host keys through the distributor into the keyboard, scan-code shape, keys kept while disabled. */
class HostInputTest {
    private final Rig rig = new Rig();

    @Test
    void hostKeysWakeThePollAndArriveAsSet1Codes() {
        int wakes = rig.board.waker().wakes();
        rig.keys.sendAll(KeyNames.parse("a"));
        assertTrue(rig.board.waker().wakes() > wakes, "the input listener wakes the device");
        rig.poll();
        assertTrue(rig.irq1());
        rig.expectBytes(0x1E, 0x9E);
    }

    @Test
    void extendedKeysCarryTheirPrefix() {
        rig.keys.sendAll(KeyNames.parse("ctrl-alt-del up"));
        rig.poll();
        rig.expectBytes(0x1D, 0x38, 0xE0, 0x53, 0xE0, 0xD3, 0xB8, 0x9D, 0xE0, 0x48, 0xE0, 0xC8);
    }

    @Test
    void keysTypedWhileKeyboardDisabledAreKept() {
        rig.write(0x60, 0xF5);
        rig.expectBytes(0xFA);
        rig.keys.sendAll(KeyNames.parse("b"));
        rig.poll();
        assertFalse(rig.outputFull(), "a disabled keyboard delivers nothing");
        assertEquals(2, rig.keys.queued(), "keys wait in the source");
        int wakes = rig.board.waker().wakes();
        rig.write(0x60, 0xF4);
        assertTrue(rig.board.waker().wakes() > wakes, "enabling wakes the poll");
        rig.expectBytes(0xFA);
        rig.poll();
        rig.expectBytes(0x30, 0xB0);
        assertEquals(0, rig.keys.queued());
    }

    @Test
    void keysTypedWhileInterfaceDisabledAreKept() {
        rig.command(0xAD);
        rig.keys.sendAll(KeyNames.parse("c"));
        rig.poll();
        assertFalse(rig.outputFull());
        assertEquals(2, rig.keys.queued());
        int wakes = rig.board.waker().wakes();
        rig.command(0xAE);
        assertTrue(rig.board.waker().wakes() > wakes);
        rig.poll();
        rig.expectBytes(0x2E, 0xAE);
    }

    @Test
    void keyboardPullsAtMost19BytesThenMoreAfterReads() {
        for (int i = 0; i < 30; i++) {
            rig.keys.send(new KeyEvent(0x10 + i % 10, true));
        }
        rig.poll();
        assertEquals(30 - Ps2Keyboard.PULL_LIMIT, rig.keys.queued(), "the pull stops at 19 queued bytes");
        int n = 0;
        while (rig.outputFull() && n < 100) {
            assertEquals(0x10 + n % 10, rig.data(), "byte " + n);
            n++;
            if (!rig.outputFull()) {
                rig.poll(); // the read found nothing and woke the poll
            }
        }
        assertEquals(30, n, "every key arrived, in order");
        assertEquals(0, rig.keys.queued());
    }

    @Test
    void prefixedKeysStillFitAtThePullLimit() {
        for (int i = 0; i < 12; i++) {
            rig.keys.send(new KeyEvent(0xE048, i % 2 == 0));
        }
        rig.poll();
        int n = 0;
        while (rig.outputFull() && n < 100) {
            int b = rig.data();
            assertEquals(n % 2 == 0 ? 0xE0 : (n % 4 == 1 ? 0x48 : 0xC8), b, "byte " + n);
            n++;
            if (!rig.outputFull()) {
                rig.poll();
            }
        }
        assertEquals(24, n, "no overrun, nothing lost");
    }

    @Test
    void emptyReadWakesThePoll() {
        rig.command(0xAA);
        int wakes = rig.board.waker().wakes();
        rig.data();
        assertTrue(rig.board.waker().wakes() > wakes);
    }

    @Test
    void aHigherActiveConsumerTakesTheKeys() throws ResolveException {
        var synthetic = rig.keys.sink("synthetic-keyboard", 1);
        synthetic.setActive(true);
        rig.keys.sendAll(KeyNames.parse("d"));
        rig.poll();
        assertFalse(rig.outputFull(), "the PS/2 keyboard is not the target");
        assertEquals(new KeyEvent(0x20, true), synthetic.poll());
        synthetic.setActive(false);
        rig.poll();
        rig.expectBytes(0xA0);
    }

    @Test
    void twoI8042sAtTheSameElevationConflict() {
        ResolveException e = org.junit.jupiter.api.Assertions.assertThrows(ResolveException.class,
                () -> rig.resolve("second-i8042", 0));
        assertTrue(e.getMessage().contains("'second-i8042'"), e.getMessage());
        assertTrue(e.getMessage().contains("'i8042'"), e.getMessage());
    }

    @Test
    void resetKeepsWaitingHostKeys() {
        rig.write(0x60, 0xF5);
        rig.keys.sendAll(KeyNames.parse("e"));
        ChipsetDevice d = rig.device;
        d.capabilities().lifecycle().orElseThrow().reset();
        rig.flush();
        rig.poll();
        rig.expectBytes(0x12, 0x92);
    }
}
