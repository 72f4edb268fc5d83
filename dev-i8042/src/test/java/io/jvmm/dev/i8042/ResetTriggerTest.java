package io.jvmm.dev.i8042;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.jvmm.api.device.PowerAction;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The two ways a guest resets the machine through the controller, and the near misses. */
class ResetTriggerTest {
    @Test
    void everyEvenPulseResets() {
        for (int cmd = 0xF0; cmd <= 0xFE; cmd += 2) {
            Rig rig = new Rig();
            rig.command(cmd);
            assertEquals(List.of(PowerAction.RESET), rig.board.powerRequests(), "pulse 0x" + Integer.toHexString(cmd));
            assertEquals(List.of(String.format("pulsed the reset line (command 0x%02x)", cmd)), rig.board.powerCauses());
            assertFalse(rig.outputFull());
        }
    }

    @Test
    void oddPulsesDoNothing() {
        Rig rig = new Rig();
        for (int cmd = 0xF1; cmd <= 0xFF; cmd += 2) {
            rig.command(cmd);
        }
        assertEquals(List.of(), rig.board.powerRequests());
        assertFalse(rig.outputFull());
        assertEquals(0x47, ((I8042Device) rig.device).commandByte());
    }

    @Test
    void outputPortWithResetBitClearResets() {
        for (int value : new int[] {0x00, 0xDE, 0xFE, 0x02}) {
            Rig rig = new Rig();
            rig.command(0xD1, value);
            assertEquals(List.of(PowerAction.RESET), rig.board.powerRequests(),
                    "output port 0x" + Integer.toHexString(value));
            assertEquals(List.of(String.format(
                    "drove the reset line low (output port 0x%02x written with command 0xd1)", value)),
                    rig.board.powerCauses());
        }
    }

    @Test
    void outputPortWithResetBitSetDoesNotReset() {
        Rig rig = new Rig();
        for (int value : new int[] {0xDF, 0xDD, 0x01, 0xFF, 0x03}) {
            rig.command(0xD1, value);
        }
        assertEquals(List.of(), rig.board.powerRequests());
    }

    @Test
    void d1CommandAloneDoesNotReset() {
        Rig rig = new Rig();
        rig.command(0xD1);
        assertEquals(List.of(), rig.board.powerRequests(), "the reset happens on the data byte");
        rig.write(0x60, 0xFE);
        assertEquals(List.of(PowerAction.RESET), rig.board.powerRequests());
    }

    @Test
    void fePassedAsKeyboardDataDoesNotReset() {
        Rig rig = new Rig();
        rig.write(0x60, 0xFE); // keyboard resend command
        assertEquals(List.of(), rig.board.powerRequests());
    }
}
