package io.jvmm.dev.i8042;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.PowerAction;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every controller command of the table, register by register. */
class ControllerCommandTest {
    private final Rig rig = new Rig();

    @Test
    void readCommandByteIsControllerDataWithoutIrq() {
        rig.command(0x20);
        assertEquals(0x1D, rig.status(), "OBF + system flag + last write command + unlocked");
        assertFalse(rig.irq1());
        assertFalse(rig.irq12());
        assertEquals(0x47, rig.data());
        assertFalse(rig.outputFull());
    }

    @Test
    void writeCommandByteThenReadItBack() {
        rig.command(0x60, 0x65);
        assertEquals(0x65, rig.device instanceof I8042Device d ? d.commandByte() : -1);
        rig.command(0x20);
        assertEquals(0x65, rig.readByte());
    }

    @Test
    void ramWritesAndReadsCoverAll31BytesAndReadsComeAsKeyboardData() {
        for (int i = 1; i < 32; i++) {
            rig.command(0x60 + i, 0x80 + i);
        }
        for (int i = 1; i < 32; i++) {
            rig.command(0x20 + i);
            assertTrue(rig.irq1(), "RAM read raises IRQ1 (command byte enables it)");
            assertEquals(0x01, rig.status() & 0x21, "keyboard data, not AUX");
            assertEquals(0x80 + i, rig.data(), "RAM byte " + i);
            assertFalse(rig.irq1());
        }
        // RAM byte 0 is the command byte.
        rig.command(0x20);
        assertEquals(0x47, rig.data());
    }

    @Test
    void ramReadWithKeyboardIrqDisabledRaisesNoIrq() {
        rig.command(0x60, 0x46);
        rig.command(0x25);
        assertTrue(rig.outputFull());
        assertFalse(rig.irq1());
    }

    @Test
    void fixedAnswers() {
        int[][] table = {{0xA1, 0x00}, {0xA4, 0xF1}, {0xA9, 0x00}, {0xAA, 0x55}, {0xAB, 0x00}, {0xC0, 0x80}};
        for (int[] row : table) {
            rig.command(row[0]);
            assertEquals(0x01, rig.status() & 0x21, "command 0x" + Integer.toHexString(row[0]) + " fills OBF");
            assertFalse(rig.irq1(), "controller bytes raise no IRQ");
            assertEquals(row[1], rig.data(), "answer to 0x" + Integer.toHexString(row[0]));
        }
    }

    @Test
    void disableAndEnableAuxAndKeyboardFlipCommandByteBits() {
        rig.command(0xA7);
        assertEquals(0x67, cb());
        rig.command(0xA8);
        assertEquals(0x47, cb());
        rig.command(0xAD);
        assertEquals(0x57, cb());
        rig.command(0xAE);
        assertEquals(0x47, cb());
        assertFalse(rig.outputFull(), "none of them answers");
    }

    @Test
    void c1AndC2AreIgnored() {
        rig.command(0xC1);
        rig.command(0xC2);
        assertFalse(rig.outputFull());
        assertEquals(0x47, cb());
        assertTrue(rig.board.powerRequests().isEmpty());
    }

    @Test
    void readOutputPortReportsA20ResetAndClocks() {
        rig.command(0xD0);
        assertEquals(0x47, rig.data(), "reset 1, A20 1, aux clock 1, kbd clock 1, empty buffer");
        rig.command(0xD1, 0xDD); // A20 off, reset line high
        assertTrue(rig.board.powerRequests().isEmpty());
        rig.command(0xD0);
        assertEquals(0x45, rig.data(), "A20 now off");
        rig.command(0xD1, 0xDF);
        rig.command(0xD0);
        assertEquals(0x47, rig.data(), "A20 on again");
    }

    @Test
    void readOutputPortShowsWhatWasBuffered() {
        rig.command(0xD2, 0x11); // keyboard data in the buffer
        rig.command(0xD0);
        assertEquals(0x57, rig.data(), "b4: the buffer held keyboard data");
        rig.command(0xD3, 0x22);
        rig.command(0xD0);
        assertEquals(0x67, rig.data(), "b5: the buffer held mouse data");
    }

    @Test
    void writeKeyboardOutputRaisesIrq1() {
        rig.command(0xD2, 0xAB);
        assertEquals(0x01, rig.status() & 0x21);
        assertTrue(rig.irq1());
        assertFalse(rig.irq12());
        assertEquals(0xAB, rig.data());
        assertFalse(rig.irq1());
    }

    @Test
    void writeMouseOutputRaisesIrq12WhenEnabled() {
        rig.command(0xD3, 0xCD);
        assertEquals(0x21, rig.status() & 0x21, "AUX OBF");
        assertTrue(rig.irq12(), "initial command byte 0x47 enables IRQ12");
        assertFalse(rig.irq1());
        assertEquals(0xCD, rig.data());
        assertFalse(rig.irq12());
    }

    @Test
    void writeToMouseGoesToTheMouse() {
        rig.command(0xD4, 0xFF);
        assertEquals(0x21, rig.status() & 0x21);
        assertEquals(0xFA, rig.data());
        assertEquals(0x21, rig.status() & 0x21);
        assertEquals(0xAA, rig.data());
        assertEquals(0x00, rig.readByte());
        assertFalse(rig.outputFull());
        rig.command(0xD4, 0xF4);
        assertEquals(0xFA, rig.readByte());
        rig.write(0x60, 0xF4); // the target resets to the keyboard after one byte
        assertEquals(0x01, rig.status() & 0x21);
        assertEquals(0xFA, rig.data());
    }

    @Test
    void lastWriteWasCommandBit() {
        rig.command(0xD1);
        assertEquals(0x08, rig.status() & 0x08);
        rig.write(0x60, 0xDF);
        assertEquals(0x00, rig.status() & 0x08);
    }

    @ParameterizedTest
    @ValueSource(ints = {0x00, 0x10, 0x1F, 0x80, 0xA0, 0xA5, 0xA6, 0xAC, 0xC3, 0xCF, 0xD5, 0xE0, 0xEF})
    void unknownCommandsAreIgnored(int cmd) {
        rig.command(cmd);
        assertFalse(rig.outputFull());
        assertEquals(0x47, cb());
        assertTrue(rig.board.powerRequests().isEmpty());
        // The next data byte still goes to the keyboard.
        rig.write(0x60, 0xEE);
        assertEquals(0xEE, rig.readByte());
    }

    @Test
    void aCommandCancelsAPendingDataByte() {
        rig.write(0x64, 0x60); // would take the next data byte as the command byte
        rig.command(0xAA);
        assertEquals(0x55, rig.data());
        rig.write(0x60, 0xEE);
        assertEquals(0xEE, rig.readByte(), "the data byte went to the keyboard");
        assertEquals(0x47, cb());
    }

    @Test
    void manyUnknownCommandsDoNotFail() {
        for (int i = 0; i < 1000; i++) {
            rig.command(0xA0);
        }
        assertEquals(List.of(), rig.board.powerRequests());
    }

    @Test
    void resetRestoresPowerOnState() {
        rig.command(0x60, 0x00);
        rig.command(0x65, 0x99);
        rig.command(0xD1, 0xDD);
        rig.command(0xD2, 0x12);
        rig.write(0x60, 0xF5);
        ((I8042Device) rig.device).reset();
        assertEquals(0x14, rig.status());
        assertEquals(0x47, cb());
        rig.command(0x25);
        assertEquals(0x00, rig.data(), "RAM cleared");
        rig.command(0xD0);
        assertEquals(0x47, rig.data(), "A20 on");
        assertTrue(((I8042Device) rig.device).keyboard().scanning());
        assertEquals(List.<PowerAction>of(), rig.board.powerRequests());
    }

    private int cb() {
        return ((I8042Device) rig.device).commandByte();
    }
}
