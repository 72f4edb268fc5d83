package io.jvmm.dev.i8042;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.input.KeyEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The PS/2 keyboard command set, through the controller's data port. */
class KeyboardCommandTest {
    private final Rig rig = new Rig();

    private Ps2Keyboard kbd() {
        return ((I8042Device) rig.device).keyboard();
    }

    private void kbdWrite(int value) {
        rig.write(0x60, value);
    }

    @Test
    void setLeds() {
        kbdWrite(0xED);
        rig.expectBytes(0xFA);
        kbdWrite(0x07);
        rig.expectBytes(0xFA);
        assertEquals(7, kbd().leds());
    }

    @Test
    void ledCommandResentInsteadOfData() {
        kbdWrite(0xED);
        rig.expectBytes(0xFA);
        kbdWrite(0xED);
        rig.expectBytes(0xFA);
        kbdWrite(0x02);
        rig.expectBytes(0xFA);
        assertEquals(2, kbd().leds());
    }

    @Test
    void commandInsteadOfDataIsACommand() {
        kbdWrite(0xF3);
        rig.expectBytes(0xFA);
        kbdWrite(0xF2);
        rig.expectBytes(0xFA, 0xAB, 0x41);
        kbdWrite(0x05); // no command pending any more: unknown command
        rig.expectBytes(0xFE);
        assertEquals(Ps2Keyboard.DEFAULT_TYPEMATIC, kbd().typematic());
    }

    @Test
    void echo() {
        kbdWrite(0xEE);
        rig.expectBytes(0xEE);
    }

    @Test
    void scanCodeSet() {
        kbdWrite(0xF0);
        rig.expectBytes(0xFA);
        kbdWrite(0x00);
        rig.expectBytes(0xFA, 0x02);
        kbdWrite(0xF0);
        rig.expectBytes(0xFA);
        kbdWrite(0x02);
        rig.expectBytes(0xFA);
        kbdWrite(0xF0);
        rig.expectBytes(0xFA);
        kbdWrite(0x03); // accepted, but only set 2 exists
        rig.expectBytes(0xFA);
        kbdWrite(0xF0);
        kbdWrite(0x00);
        rig.expectBytes(0xFA, 0xFA, 0x02);
        kbdWrite(0xF0);
        kbdWrite(0x04);
        rig.expectBytes(0xFA, 0xFE);
    }

    @Test
    void identify() {
        kbdWrite(0xF2);
        rig.expectBytes(0xFA, 0xAB, 0x41);
    }

    @Test
    void typematic() {
        kbdWrite(0xF3);
        rig.expectBytes(0xFA);
        kbdWrite(0x20);
        rig.expectBytes(0xFA);
        assertEquals(0x20, kbd().typematic());
    }

    @Test
    void enableClearsQueue() {
        rig.command(0x60, 0x44);
        rig.command(0xAD); // hold keyboard bytes
        kbdWrite(0xF2); // (writing to the keyboard re-enables its interface; disable again)
        rig.command(0xAD);
        rig.flush();
        kbdWrite(0xF4);
        rig.expectBytes(0xFA);
    }

    @Test
    void disableStopsScanningAndEnableResumes() {
        kbdWrite(0xF5);
        rig.expectBytes(0xFA);
        assertFalse(kbd().scanning());
        kbdWrite(0xF4);
        rig.expectBytes(0xFA);
        assertTrue(kbd().scanning());
    }

    @Test
    void disableRestoresDefaults() {
        kbdWrite(0xED);
        kbdWrite(0x04);
        kbdWrite(0xF3);
        kbdWrite(0x11);
        rig.flush();
        kbdWrite(0xF5);
        rig.expectBytes(0xFA);
        assertEquals(0, kbd().leds());
        assertEquals(Ps2Keyboard.DEFAULT_TYPEMATIC, kbd().typematic());
    }

    @Test
    void defaultsRestoreSettingsAndScan() {
        kbdWrite(0xF5);
        kbdWrite(0xED);
        kbdWrite(0x01);
        rig.flush();
        kbdWrite(0xF6);
        rig.expectBytes(0xFA);
        assertEquals(0, kbd().leds());
        assertTrue(kbd().scanning());
    }

    @ParameterizedTest
    @ValueSource(ints = {0xF7, 0xF8, 0xF9, 0xFA})
    void keyTypeCommandsAck(int cmd) {
        kbdWrite(cmd);
        rig.expectBytes(0xFA);
        kbdWrite(0xEE);
        rig.expectBytes(0xEE);
    }

    @ParameterizedTest
    @ValueSource(ints = {0xFB, 0xFC, 0xFD})
    void perKeyCommandsTakeAData(int cmd) {
        kbdWrite(cmd);
        rig.expectBytes(0xFA);
        kbdWrite(0x1C);
        rig.expectBytes(0xFA);
        kbdWrite(0xEE);
        rig.expectBytes(0xEE);
    }

    @Test
    void resendRepeatsTheLastByteRead() {
        kbdWrite(0xF2);
        rig.expectBytes(0xFA, 0xAB, 0x41);
        kbdWrite(0xFE);
        rig.expectBytes(0x41);
        rig.keys.send(new KeyEvent(0x1C, true));
        rig.poll();
        rig.expectBytes(0x1C);
        kbdWrite(0xFE);
        rig.expectBytes(0x1C);
    }

    @Test
    void reset() {
        kbdWrite(0xF5);
        kbdWrite(0xED);
        kbdWrite(0x03);
        rig.flush();
        kbdWrite(0xFF);
        rig.expectBytes(0xFA, 0xAA);
        assertTrue(kbd().scanning());
        assertEquals(0, kbd().leds());
    }

    @ParameterizedTest
    @ValueSource(ints = {0x00, 0x01, 0x55, 0xAA, 0xEC, 0xEF, 0xF1})
    void unknownCommandsAnswerResend(int cmd) {
        kbdWrite(cmd);
        rig.expectBytes(0xFE);
    }

    @Test
    void keyboardWriteReenablesTheKeyboardInterface() {
        rig.command(0xAD);
        kbdWrite(0xEE);
        assertEquals(0x47, ((I8042Device) rig.device).commandByte());
        rig.expectBytes(0xEE);
    }

    @Test
    void mouseResetAndAck() {
        rig.command(0xD4, 0xFF);
        rig.expectBytes(0xFA, 0xAA, 0x00);
        rig.command(0xD4, 0xF2);
        rig.expectBytes(0xFA);
        rig.command(0xD4, 0xF3);
        rig.command(0xD4, 0x64);
        rig.expectBytes(0xFA, 0xFA);
    }
}
