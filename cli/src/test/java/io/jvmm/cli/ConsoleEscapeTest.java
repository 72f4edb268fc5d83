package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ConsoleEscapeTest {
    private final AtomicInteger quits = new AtomicInteger();
    private final ByteArrayOutputStream help = new ByteArrayOutputStream();

    private byte[] feed(byte... input) throws IOException {
        ConsoleEscape esc = new ConsoleEscape(new ByteArrayInputStream(input), quits::incrementAndGet,
                new PrintStream(help, true));
        return esc.readAllBytes();
    }

    @Test
    void plainBytesPass() throws IOException {
        assertArrayEquals("hello\r".getBytes(), feed("hello\r".getBytes()));
        assertEquals(0, quits.get());
    }

    @Test
    void ctrlAxQuitsAndStopsInput() throws IOException {
        assertArrayEquals("ab".getBytes(), feed((byte) 'a', (byte) 'b', (byte) 1, (byte) 'x', (byte) 'c'));
        assertEquals(1, quits.get());
    }

    @Test
    void ctrlAhPrintsHelpToTheTerminalNotTheGuest() throws IOException {
        assertArrayEquals("ok".getBytes(), feed((byte) 1, (byte) 'h', (byte) 'o', (byte) 'k'));
        assertTrue(help.toString().contains("Ctrl-A x: quit"));
    }

    @Test
    void doubledCtrlASendsOneAndOtherKeysAreKept() throws IOException {
        assertArrayEquals(new byte[] {1, 'z', 1, 'q'}, feed((byte) 1, (byte) 1, (byte) 'z', (byte) 1, (byte) 'q'));
        assertEquals(0, quits.get());
    }
}
