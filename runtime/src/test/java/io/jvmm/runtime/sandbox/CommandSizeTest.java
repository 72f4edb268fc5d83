package io.jvmm.runtime.sandbox;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** An EXEC that cannot fit a frame is refused when the Command is made, not when it is sent. */
class CommandSizeTest {
    @Test
    void anExecLargerThanAFrameIsRefusedUpFront() {
        String big = "x".repeat(Message.MAX_STR);
        List<String> argv = new ArrayList<>(List.of("echo"));
        for (int i = 0; i < 17; i++) {
            argv.add(big);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Command.of(argv));
        assertTrue(e.getMessage().contains("more than a frame"), e.getMessage());
        // the largest that fits encodes: exactly MAX_FRAME bytes
        List<String> fits = new ArrayList<>(List.of("e"));
        for (int i = 0; i < 15; i++) {
            fits.add(big);
        }
        int used = 1 + 4 + (4 + 1) + 15 * (4 + big.length()) + 4 + 4 + 1;
        int last = Message.MAX_FRAME - used - 4;
        fits.add("y".repeat(last));
        Message.Exec m = assertDoesNotThrow(() -> new Message.Exec(fits, List.of(), "", false));
        assertTrue(FrameCodec.encode(m).length == 4 + Message.MAX_FRAME, "exactly a full frame");
        List<String> over = new ArrayList<>(fits);
        over.set(over.size() - 1, "y".repeat(last + 1));
        assertThrows(IllegalArgumentException.class, () -> new Message.Exec(over, List.of(), "", false));
    }
}
