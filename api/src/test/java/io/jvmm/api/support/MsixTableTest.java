package io.jvmm.api.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.IoData;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** MSI-X table, mask and pending-bit semantics (PCI 3.0 §6.8.2), as a guest sees them. */
class MsixTableTest {
    record Msg(long address, int data) {}

    final List<Msg> sent = new ArrayList<>();
    /** 3 vectors, table at BAR 2 + 0x100, PBA at BAR 2 + 0x800. */
    final MsixTable msix = new MsixTable(3, 2, 0x100, 2, 0x800, (a, d) -> sent.add(new Msg(a, d)));

    long read(long offset, int len) {
        byte[] b = new byte[len];
        msix.barRead(2, offset, b);
        return IoData.get(b);
    }

    void write(long offset, int len, long value) {
        byte[] b = new byte[len];
        IoData.put(b, value);
        msix.barWrite(2, offset, b);
    }

    long cap(int offset, int len) {
        byte[] b = new byte[len];
        msix.capabilityRead(offset, b);
        return IoData.get(b);
    }

    void control(int value) {
        byte[] b = new byte[2];
        IoData.put(b, value);
        msix.capabilityWrite(2, b);
    }

    /** Programs vector v with address 0xFEE0_0000 + v * 0x1000 and data 0x40 + v, unmasked. */
    void program(int v) {
        long e = 0x100 + 16L * v;
        write(e, 8, 0xFEE0_0000L + v * 0x1000L);
        write(e + 8, 4, 0x40 + v);
        write(e + 12, 4, 0);
    }

    @Test
    void capabilityRegistersDescribeTableAndPba() {
        assertEquals(0x11, msix.capability().id());
        assertEquals(12, msix.capability().length());
        assertEquals(2, cap(2, 2), "table size N-1, disabled, not masked");
        assertEquals(0x100 | 2, cap(4, 4), "table offset | BIR");
        assertEquals(0x800 | 2, cap(8, 4), "PBA offset | BIR");
        control(MsixTable.CONTROL_ENABLE | MsixTable.CONTROL_FUNCTION_MASK | 0x7FF);
        assertEquals(0xC002, cap(2, 2), "only enable and function mask are writable");
        byte[] low = {0};
        msix.capabilityWrite(2, low); // the read-only low byte alone: no change
        assertEquals(0xC002, cap(2, 2));
        assertThrows(IllegalArgumentException.class, () -> new MsixTable(0, 0, 0, 0, 0x800, (a, d) -> { }));
        assertThrows(IllegalArgumentException.class, () -> new MsixTable(4, 0, 0, 0, 0x20, (a, d) -> { }),
                "table and PBA overlap");
        assertThrows(IllegalArgumentException.class, () -> new MsixTable(4, 0, 4, 1, 0, (a, d) -> { }));
    }

    @Test
    void vectorsStartMaskedAndTheTableReadsBackWhatWasWritten() {
        for (int v = 0; v < 3; v++) {
            assertEquals(1, read(0x100 + 16 * v + 12, 4), "vector " + v + " masked at reset (§6.8.2.9)");
        }
        write(0x110, 4, 0xFEE0_1003L);
        write(0x114, 4, 0x1);
        write(0x118, 4, 0x1234_5678L);
        assertEquals(0x1_FEE0_1000L, read(0x110, 8), "address bits 1:0 read 0");
        assertEquals(0x1234_5678L | 1L << 32, read(0x118, 8), "data, and vector control (masked) as a QWORD");
    }

    @Test
    void messagesGoOutOnlyWhenEnabledAndUnmasked() {
        program(1);
        assertFalse(msix.signal(1), "disabled: the device uses INTx");
        assertEquals(List.of(), sent);
        control(MsixTable.CONTROL_ENABLE);
        assertTrue(msix.enabled());
        assertTrue(msix.signal(1));
        assertEquals(List.of(new Msg(0xFEE0_1000L, 0x41)), sent);
        assertFalse(msix.signal(3), "outside the table");
        assertFalse(msix.signal(-1));
        assertEquals(1, sent.size());
    }

    @Test
    void aMaskedVectorIsPendingAndSentOnUnmask() {
        control(MsixTable.CONTROL_ENABLE);
        program(2);
        write(0x100 + 32 + 12, 4, 1); // mask vector 2
        assertTrue(msix.signal(2));
        assertTrue(msix.signal(2));
        assertEquals(List.of(), sent);
        assertTrue(msix.pending(2));
        assertEquals(1L << 2, read(0x800, 8), "the PBA shows it");
        assertEquals(1L << 2, read(0x800, 4));
        write(0x800, 8, 0); // the PBA is read-only
        assertEquals(1L << 2, read(0x800, 8));
        write(0x100 + 32 + 12, 4, 0); // unmask: one message for both signals
        assertEquals(List.of(new Msg(0xFEE0_2000L, 0x42)), sent);
        assertFalse(msix.pending(2));
        assertEquals(0, read(0x800, 8));
    }

    @Test
    void withBusMasteringOffMessagesWaitAsPendingBits() {
        control(MsixTable.CONTROL_ENABLE);
        program(1);
        msix.busMasterChanged(false); // the guest cleared Bus Master Enable: no memory writes
        assertTrue(msix.signal(1));
        assertEquals(List.of(), sent);
        assertTrue(msix.pending(1));
        write(0x100 + 16 + 12, 4, 0); // unmasking does not send either while bus mastering is off
        assertEquals(List.of(), sent);
        msix.busMasterChanged(true);
        assertEquals(List.of(new Msg(0xFEE0_1000L, 0x41)), sent, "sent once bus mastering is back");
        assertFalse(msix.pending(1));
    }

    @Test
    void theFunctionMaskHoldsEveryVectorUntilCleared() {
        program(0);
        program(1);
        control(MsixTable.CONTROL_ENABLE | MsixTable.CONTROL_FUNCTION_MASK);
        msix.signal(0);
        msix.signal(1);
        assertEquals(List.of(), sent);
        assertEquals(0b11, read(0x800, 8));
        write(0x100 + 12, 4, 1); // vector 0 masked on its own too
        control(MsixTable.CONTROL_ENABLE);
        assertEquals(List.of(new Msg(0xFEE0_1000L, 0x41)), sent, "vector 1 only; 0 is still masked");
        write(0x100 + 12, 4, 0);
        assertEquals(List.of(new Msg(0xFEE0_1000L, 0x41), new Msg(0xFEE0_0000L, 0x40)), sent);
    }

    @Test
    void pendingMessagesWaitForEnable() {
        program(0);
        control(MsixTable.CONTROL_ENABLE | MsixTable.CONTROL_FUNCTION_MASK);
        msix.signal(0);
        control(0); // disabled: nothing is sent, the bit stays
        assertEquals(List.of(), sent);
        control(MsixTable.CONTROL_ENABLE);
        assertEquals(1, sent.size());
    }

    @Test
    void oddAccessesAreIgnoredAndReadZero() {
        program(0);
        write(0x100, 2, 0xAAAA); // not a DWORD or QWORD
        write(0x102, 4, 0xBBBB_BBBBL); // unaligned
        write(0x104, 8, -1L); // QWORD not 8-aligned
        write(0x100 + 48, 4, 0x1234); // past the table's 3 entries
        write(0x0FC, 8, -1L); // straddles the table's start
        msix.barWrite(1, 0x100, new byte[4]); // another BAR
        assertEquals(0xFEE0_0000L, read(0x100, 8));
        assertEquals(0, read(0x100, 2));
        assertEquals(0, read(0x102, 4));
        assertEquals(0, read(0x100 + 48, 4));
        assertEquals(0, read(0x808, 4), "past the PBA");
        assertTrue(msix.claims(2, 0x100 + 47, 1));
        assertFalse(msix.claims(2, 0x100 + 48, 4));
        assertTrue(msix.claims(2, 0x804, 4));
        assertFalse(msix.claims(3, 0x100, 4));
    }

    @Test
    void resetDisablesAndMasksEverything() {
        program(0);
        control(MsixTable.CONTROL_ENABLE | MsixTable.CONTROL_FUNCTION_MASK);
        msix.signal(0);
        msix.reset();
        assertFalse(msix.enabled());
        assertFalse(msix.functionMasked());
        assertTrue(msix.vectorMasked(0));
        assertFalse(msix.pending(0));
        assertEquals(0, read(0x100, 8));
    }

    @Test
    void manyVectorsUseSeveralPbaWords() {
        List<Integer> got = new ArrayList<>();
        MsixTable big = new MsixTable(130, 0, 0, 0, 0x1000, (a, d) -> got.add(d));
        assertEquals(24, big.pbaBytes());
        byte[] ctl = new byte[2];
        IoData.put(ctl, MsixTable.CONTROL_ENABLE | MsixTable.CONTROL_FUNCTION_MASK);
        big.capabilityWrite(2, ctl);
        big.signal(129);
        big.signal(64);
        byte[] w = new byte[8];
        big.barRead(0, 0x1010, w);
        assertEquals(1L << 1, IoData.get(w), "vector 129 is bit 1 of the third QWORD");
        for (int v : new int[] {64, 129}) {
            byte[] d = new byte[4];
            IoData.put(d, v);
            big.barWrite(0, 16L * v + 8, d);
            big.barWrite(0, 16L * v + 12, new byte[4]);
        }
        IoData.put(ctl, MsixTable.CONTROL_ENABLE);
        big.capabilityWrite(2, ctl);
        assertEquals(List.of(64, 129), got);
    }

    // --- saved state ---------------------------------------------------------------------------

    /** A format around the table's state alone, as a device nests it. */
    static final StateFormat<MsixTable.State> FORMAT = StateFormat.of("test.msix", 1, MsixTable.State.ENCODER,
            MsixTable.State.DECODER);

    @Test
    void stateAfterResetIsTheInitialState() {
        program(0);
        control(MsixTable.CONTROL_ENABLE);
        msix.reset();
        assertEquals(MsixTable.State.initial(3), msix.capture());
    }

    @Test
    void capturedStateRoundTripsAndBehavesTheSame() {
        program(0);
        program(2);
        write(0x100 + 16 + 8, 4, 0x99);
        control(MsixTable.CONTROL_ENABLE | MsixTable.CONTROL_FUNCTION_MASK);
        msix.signal(2); // pending under the function mask
        MsixTable.State saved = FORMAT.restore(FORMAT.save(msix.capture()));
        assertEquals(msix.capture(), saved);

        List<Msg> other = new ArrayList<>();
        MsixTable copy = new MsixTable(3, 2, 0x100, 2, 0x800, (a, d) -> other.add(new Msg(a, d)));
        copy.apply(saved);
        assertTrue(other.isEmpty(), "restoring sends nothing");
        assertEquals(msix.capture(), copy.capture());
        assertTrue(copy.pending(2) && copy.enabled() && copy.functionMasked());
        byte[] b = new byte[2];
        IoData.put(b, MsixTable.CONTROL_ENABLE);
        copy.capabilityWrite(2, b); // clearing the function mask delivers the pending vector
        assertEquals(List.of(new Msg(0xFEE0_2000L, 0x42)), other);
    }

    @Test
    void aStateForAnotherTableSizeIsRefusedAndChangesNothing() {
        program(1);
        MsixTable.State before = msix.capture();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> msix.apply(MsixTable.State.initial(4)));
        assertTrue(e.getMessage().contains("4 vectors"), e.getMessage());
        assertEquals(before, msix.capture());
        assertThrows(IllegalArgumentException.class, () -> new MsixTable.Vector(0xFEE0_0001L, 0, false, false),
                "a message address with bits 1:0 set");
    }
}
