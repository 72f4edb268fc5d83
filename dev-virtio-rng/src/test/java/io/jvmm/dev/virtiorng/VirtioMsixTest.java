package io.jvmm.dev.virtiorng;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.IoData;
import io.jvmm.api.device.LineSets;
import io.jvmm.api.device.PciAddress;
import io.jvmm.api.device.PciBar;
import io.jvmm.api.device.PciBarKind;
import io.jvmm.api.device.PciCapability;
import io.jvmm.api.device.PciPlatform;
import io.jvmm.api.support.MsixTable;
import io.jvmm.testkit.FakeBoard;
import io.jvmm.testkit.FakeBoard.Msi;
import io.jvmm.testkit.FakeGuestMemory;
import io.jvmm.testkit.VirtioPciDriver;
import io.jvmm.testkit.VirtioPciDriver.Queue;
import io.jvmm.virtio.VirtioPciDevice;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * MSI-X on the virtio PCI transport (virtio 1.2 §4.1.4.3, §4.1.5.1.2; PCI 3.0 §6.8.2): the
 * capability and BAR exist only when the board delivers MSIs, the vector registers map or read back
 * NO_VECTOR, queue and configuration interrupts become messages while MSI-X is enabled and INTx
 * returns when it is disabled.
 */
class VirtioMsixTest {
    static final int SLOT = 4;
    static final long RINGS = 0x10000;
    static final long BUF = 0x20000;
    static final int NO_VECTOR = 0xFFFF;
    static final int CONFIG_VECTOR = 0x10;
    static final int QUEUE_SELECT = 0x16;
    static final int QUEUE_VECTOR = 0x1A;

    final FakeGuestMemory ram = new FakeGuestMemory(1 << 20);
    final FakeBoard board = new FakeBoard().withGuestMemory(ram).withMessageInterrupts();
    final VirtioPciDevice dev = new VirtioPciDevice("rng", new PciAddress(0, SLOT, 0),
            new VirtioRng(new Random(1), ram), board);
    final VirtioPciDriver driver = new VirtioPciDriver(dev, ram);
    final int gsi = PciPlatform.intxGsi(SLOT, 0);
    final int msixCap = dev.info().capabilities().size() - 1;

    void control(int value) {
        byte[] b = new byte[2];
        IoData.put(b, value);
        dev.capabilityWrite(msixCap, 2, b);
    }

    long capRead(int offset, int len) {
        byte[] b = new byte[len];
        dev.capabilityRead(msixCap, offset, b);
        return IoData.get(b);
    }

    void table(long offset, int len, long value) {
        byte[] b = new byte[len];
        IoData.put(b, value);
        dev.barWrite(VirtioPciDevice.MSIX_BAR, offset, b);
    }

    long tableRead(long offset, int len) {
        byte[] b = new byte[len];
        dev.barRead(VirtioPciDevice.MSIX_BAR, offset, b);
        return IoData.get(b);
    }

    /** Vector v: address 0xFEE0_0000, data 0x30 + v, unmasked. */
    void program(int v) {
        table(16L * v, 8, 0xFEE0_0000L);
        table(16L * v + 8, 4, 0x30 + v);
        table(16L * v + 12, 4, 0);
    }

    /** Features accepted, config vector 0, queue 0 on vector 1, MSI-X enabled, DRIVER_OK. */
    Queue ready() {
        assertTrue(driver.negotiate(VirtioPciDriver.F_VERSION_1));
        control(MsixTable.CONTROL_ENABLE | MsixTable.CONTROL_FUNCTION_MASK);
        program(0);
        program(1);
        control(MsixTable.CONTROL_ENABLE);
        driver.writeCommon(CONFIG_VECTOR, 2, 0);
        driver.writeCommon(QUEUE_SELECT, 2, 0);
        driver.writeCommon(QUEUE_VECTOR, 2, 1);
        Queue q = driver.setUpQueue(0, 16, RINGS);
        driver.driverOk();
        return q;
    }

    int request(Queue q) {
        int head = q.addWritable(BUF, 16);
        q.notifyDevice();
        dev.poll();
        assertEquals(1, q.takeUsed().size());
        return head;
    }

    @Test
    void theCapabilityAndBarDescribeQueueCountPlusOneVectors() {
        assertTrue(dev.hasMsix());
        PciCapability cap = dev.info().capabilities().get(msixCap);
        assertEquals(new PciCapability(0x11, 12), cap);
        assertEquals(1, capRead(2, 2), "2 vectors (N-1 = 1), disabled");
        assertEquals(VirtioPciDevice.MSIX_BAR, capRead(4, 4) & 7, "table BIR");
        assertEquals(0, capRead(4, 4) & ~7L, "table at offset 0");
        assertEquals(VirtioPciDevice.MSIX_BAR | 0x800, capRead(8, 4), "PBA after the table");
        PciBar bar = dev.info().bar(VirtioPciDevice.MSIX_BAR);
        assertEquals(PciBarKind.MMIO64, bar.kind());
        assertEquals(0x1000, bar.size());
        assertEquals(VirtioPciDevice.BAR_SIZE, dev.info().bar(VirtioPciDevice.BAR).size(), "BAR 0's layout is unchanged");
    }

    @Test
    void withoutMessageDeliveryThereIsNoMsixAndTheVectorsReadNoVector() {
        FakeBoard plain = new FakeBoard().withGuestMemory(ram);
        VirtioPciDevice d = new VirtioPciDevice("rng", new PciAddress(0, SLOT, 0), new VirtioRng(new Random(1), ram), plain);
        assertFalse(d.hasMsix());
        assertTrue(d.info().capabilities().stream().noneMatch(c -> c.id() == MsixTable.CAPABILITY_ID));
        assertNull(d.info().bar(VirtioPciDevice.MSIX_BAR));
        VirtioPciDriver drv = new VirtioPciDriver(d, ram);
        drv.writeCommon(CONFIG_VECTOR, 2, 0);
        drv.writeCommon(QUEUE_VECTOR, 2, 0);
        assertEquals(NO_VECTOR, drv.readCommon(CONFIG_VECTOR, 2), "no vector can be mapped");
        assertEquals(NO_VECTOR, drv.readCommon(QUEUE_VECTOR, 2));
    }

    @Test
    void vectorRegistersMapTableEntriesOrReadBackNoVector() {
        assertTrue(driver.negotiate(VirtioPciDriver.F_VERSION_1));
        assertEquals(NO_VECTOR, driver.readCommon(CONFIG_VECTOR, 2), "NO_VECTOR after reset");
        assertEquals(NO_VECTOR, driver.readCommon(QUEUE_VECTOR, 2));
        driver.writeCommon(CONFIG_VECTOR, 2, 1);
        assertEquals(1, driver.readCommon(CONFIG_VECTOR, 2));
        driver.writeCommon(CONFIG_VECTOR, 2, 2);
        assertEquals(NO_VECTOR, driver.readCommon(CONFIG_VECTOR, 2), "vector 2 is past the 2-entry table");
        driver.writeCommon(QUEUE_SELECT, 2, 0);
        driver.writeCommon(QUEUE_VECTOR, 2, 0);
        assertEquals(0, driver.readCommon(QUEUE_VECTOR, 2));
        driver.writeCommon(QUEUE_VECTOR, 2, 0x7FF);
        assertEquals(NO_VECTOR, driver.readCommon(QUEUE_VECTOR, 2));
        driver.writeCommon(QUEUE_SELECT, 2, 5); // no such queue
        driver.writeCommon(QUEUE_VECTOR, 2, 0);
        assertEquals(NO_VECTOR, driver.readCommon(QUEUE_VECTOR, 2));
        driver.writeCommon(QUEUE_SELECT, 2, 0);
        driver.writeCommon(QUEUE_VECTOR, 2, 1);
        driver.setStatus(0); // device reset (§4.1.4.3.2)
        assertEquals(NO_VECTOR, driver.readCommon(QUEUE_VECTOR, 2), "a device reset unmaps the vectors");
    }

    @Test
    void aUsedBufferSendsTheQueuesMessageAndNoIntx() {
        Queue q = ready();
        request(q);
        assertEquals(List.of(new Msi(0xFEE0_0000L, 0x31)), board.msis(), "queue 0's vector 1");
        assertFalse(board.lineLevel(LineSets.IRQ, gsi), "INTx stays off while MSI-X is enabled");
        assertEquals(0, driver.readIsr(), "the ISR's queue bit is not used with MSI-X");
    }

    @Test
    void aMaskedVectorIsSentWhenUnmasked() {
        Queue q = ready();
        table(16 + 12, 4, MsixTable.VECTOR_MASKED);
        request(q);
        assertEquals(List.of(), board.msis());
        assertEquals(0b10, tableRead(0x800, 8), "vector 1 pending in the PBA");
        table(16 + 12, 4, 0);
        assertEquals(List.of(new Msi(0xFEE0_0000L, 0x31)), board.msis());
        assertEquals(0, tableRead(0x800, 8));
    }

    @Test
    void noVectorMeansNoInterruptAtAll() {
        Queue q = ready();
        driver.writeCommon(QUEUE_SELECT, 2, 0);
        driver.writeCommon(QUEUE_VECTOR, 2, NO_VECTOR);
        request(q);
        assertEquals(List.of(), board.msis());
        assertFalse(board.lineLevel(LineSets.IRQ, gsi));
    }

    @Test
    void withMsixDisabledTheDeviceFallsBackToIntx() {
        Queue q = ready();
        control(0);
        request(q);
        assertEquals(List.of(), board.msis());
        assertTrue(board.lineLevel(LineSets.IRQ, gsi), "INTA on GSI " + gsi);
        control(MsixTable.CONTROL_ENABLE);
        assertFalse(board.lineLevel(LineSets.IRQ, gsi), "enabling MSI-X deasserts INTx");
        assertEquals(1, driver.readIsr());
    }

    @Test
    void aProtocolViolationSendsTheConfigurationMessage() {
        Queue q = ready();
        q.addWritable(0xC000_0000L, 64); // outside RAM
        q.notifyDevice();
        dev.poll();
        assertTrue((driver.status() & VirtioPciDriver.STATUS_DEVICE_NEEDS_RESET) != 0);
        assertEquals(List.of(new Msi(0xFEE0_0000L, 0x30)), board.msis(), "config vector 0");
        assertFalse(board.lineLevel(LineSets.IRQ, gsi));
    }

    @Test
    void aBoardResetDisablesMsixButADeviceResetDoesNot() {
        ready();
        driver.setStatus(0);
        assertEquals(MsixTable.CONTROL_ENABLE | 1, capRead(2, 2), "a virtio reset leaves the PCI function's MSI-X");
        dev.reset();
        assertEquals(1, capRead(2, 2), "power-on: disabled");
        assertEquals(MsixTable.VECTOR_MASKED, tableRead(12, 4));
    }
}
