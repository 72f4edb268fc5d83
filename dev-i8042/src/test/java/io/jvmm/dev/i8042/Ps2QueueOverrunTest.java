package io.jvmm.dev.i8042;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.jvmm.api.support.LogRateLimiter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.Test;

/** A full PS/2 output queue keeps its size and marks the overrun by replacing its newest byte with 0x00. */
class Ps2QueueOverrunTest {
    private static List<Integer> drain(BooleanSupplier has, IntSupplier take) {
        List<Integer> out = new ArrayList<>();
        while (has.getAsBoolean()) {
            out.add(take.getAsInt());
        }
        return out;
    }

    @Test
    void mouseQueueOverrun() {
        Ps2Mouse mouse = new Ps2Mouse();
        for (int i = 0; i < Ps2Mouse.QUEUE_CAPACITY + 3; i++) {
            mouse.write(0xE6); // set scaling 1:1, acknowledged
        }
        List<Integer> got = drain(mouse::hasOutput, mouse::take);
        assertEquals(Ps2Mouse.QUEUE_CAPACITY, got.size());
        for (int i = 0; i < got.size() - 1; i++) {
            assertEquals(Ps2Mouse.ACK, got.get(i));
        }
        assertEquals(Ps2Mouse.OVERRUN, got.get(got.size() - 1));
        assertFalse(mouse.hasOutput());
    }

    @Test
    void keyboardQueueOverrun() {
        Ps2Keyboard keyboard = new Ps2Keyboard(new LogRateLimiter(1));
        for (int i = 0; i < Ps2Keyboard.QUEUE_CAPACITY + 1; i++) {
            keyboard.write(Ps2Keyboard.CMD_ECHO);
        }
        List<Integer> got = drain(keyboard::hasOutput, keyboard::take);
        assertEquals(Ps2Keyboard.QUEUE_CAPACITY, got.size());
        assertEquals(Ps2Keyboard.ECHO, got.get(0));
        assertEquals(Ps2Keyboard.ECHO, got.get(got.size() - 2));
        assertEquals(Ps2Keyboard.OVERRUN, got.get(got.size() - 1));
    }
}
