package io.jvmm.dev.battery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.battery.HostBatteryUpdate;
import io.jvmm.api.device.AcpiNode;
import io.jvmm.api.device.IoData;
import io.jvmm.api.device.LineSets;
import io.jvmm.testkit.FakeBoard;
import io.jvmm.testkit.FakeLine;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The battery's ACPI nodes (BAT0, AC__) match its registers, and its GPE line gives an edge per update. */
class BatteryAcpiTest {
    private final FakeBoard board = new FakeBoard();
    private final FakeLine line = board.newLine(LineSets.GPE0, "battery", BatteryLayout.X64.vector);
    private final BatteryDevice device = new BatteryDevice(BatteryLayout.X64, line, board.waker());

    @Test
    void x64DeclaresTheBatteryAndTheAcAdapterOverItsRegisters() {
        List<AcpiNode> nodes = device.capabilities().acpiNodes();
        assertEquals(List.of("BAT0", "AC__"), nodes.stream().map(AcpiNode::name).toList());
        assertEquals("PNP0C0A", nodes.get(0).hid());
        assertEquals("ACPI0003", nodes.get(1).hid());
        Map<String, Integer> offsets = nodes.stream().flatMap(n -> n.registers().stream())
                .peek(r -> assertEquals(AcpiNode.Space.MMIO, r.space()))
                .peek(r -> assertEquals(0, r.region()))
                .collect(Collectors.toMap(AcpiNode.Register::name, AcpiNode.Register::offset));
        assertEquals(Map.of("BSTA", BatteryDevice.REG_STA, "BSTS", BatteryDevice.REG_BST_STATE,
                "RATE", BatteryDevice.REG_BST_RATE, "REMC", BatteryDevice.REG_BST_REMAINING,
                "NSTS", BatteryDevice.REG_NOTIFY_STATUS, "NCLR", BatteryDevice.REG_NOTIFY_CLEAR,
                "ACON", BatteryDevice.REG_PSR), offsets);
        assertEquals(List.of("_STA", "_BIF", "_BST"), nodes.get(0).methods().stream().map(AcpiNode.Method::name)
                .toList());
        assertEquals(List.of("_PSR", "_PCL"), nodes.get(1).methods().stream().map(AcpiNode.Method::name).toList());
        AcpiNode.GpeHandler gpe = nodes.get(0).gpeHandlers().get(0);
        assertEquals(BatteryLayout.X64.vector, gpe.gpe(), "the GPE0 bit the notification line drives");
        assertEquals(List.of(new AcpiNode.Write("NCLR", BatteryDevice.NOTIFY_MASK), new AcpiNode.Notify("BAT0", 0x80),
                new AcpiNode.Notify("AC__", 0x80)), gpe.actions());
        // _BIF's capacity is the one the registers are scaled to
        AcpiNode.Pkg bif = (AcpiNode.Pkg) nodes.get(0).methods().get(1).result();
        assertEquals(new AcpiNode.Const(BatteryDevice.DESIGN_CAPACITY), bif.elements().get(1));
        assertEquals(new AcpiNode.Const(BatteryDevice.DESIGN_CAPACITY), bif.elements().get(2));
        assertEquals(13, bif.elements().size());
    }

    @Test
    void aarch64HasNoAcpiNodes() {
        BatteryDevice arm = new BatteryDevice(BatteryLayout.AARCH64, board.newLine(LineSets.IRQ, "battery", 4),
                board.waker());
        assertTrue(arm.capabilities().acpiNodes().isEmpty());
    }

    @Test
    void everyUpdateIsARisingEdgeAndTheGpeMethodsWriteLowersTheLine() {
        device.hostUpdate(new HostBatteryUpdate(true, true, false, 1, 950, 1000, true));
        device.applyHostUpdate();
        assertTrue(line.level());
        assertEquals(1, line.risingEdges());
        // a second update before the OS acknowledged the first: a new edge sets the GPE status again
        device.hostUpdate(new HostBatteryUpdate(true, true, false, 1, 400, 1000, true));
        device.applyHostUpdate();
        assertTrue(line.level());
        assertEquals(2, line.risingEdges());
        // what \_GPE._E09 writes to NCLR
        byte[] data = new byte[4];
        IoData.put(data, BatteryDevice.NOTIFY_MASK);
        device.mmioWrite(0, BatteryDevice.REG_NOTIFY_CLEAR, data);
        assertFalse(line.level());
        byte[] remaining = new byte[4];
        device.mmioRead(0, BatteryDevice.REG_BST_REMAINING, remaining);
        assertEquals(2000, IoData.get(remaining), "40% of the 5000 mWh _BIF declares");
    }
}
