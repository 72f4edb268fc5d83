package io.jvmm.dev.virtiorng;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.LineSets;
import io.jvmm.api.device.PciAddress;
import io.jvmm.api.device.PciPlatform;
import io.jvmm.testkit.FakeBoard;
import io.jvmm.testkit.FakeGuestMemory;
import io.jvmm.testkit.MapConfig;
import io.jvmm.testkit.VirtioPciDriver;
import io.jvmm.testkit.VirtioPciDriver.Queue;
import io.jvmm.testkit.VirtioPciDriver.Used;
import io.jvmm.virtio.VirtioPciDevice;
import io.jvmm.api.handles.VirtioRngHandle;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** virtio-rng over the modern PCI transport, driven by the testkit's guest-side driver. */
class VirtioRngTest {
    static final int SLOT = 5;
    static final long RINGS = 0x10000;
    static final long BUF = 0x20000;

    final FakeGuestMemory ram = new FakeGuestMemory(1 << 20);
    final FakeBoard board = new FakeBoard().withGuestMemory(ram);
    final VirtioPciDevice dev = new VirtioPciDevice("rng", new PciAddress(0, SLOT, 0),
            new VirtioRng(new Random(1), ram), board);
    final VirtioPciDriver driver = new VirtioPciDriver(dev, ram);
    final int gsi = PciPlatform.intxGsi(SLOT, 0);

    Queue ready() {
        assertTrue(driver.negotiate(VirtioPciDriver.F_VERSION_1 | VirtioPciDriver.F_RING_INDIRECT_DESC));
        Queue q = driver.setUpQueue(0, 16, RINGS);
        driver.driverOk();
        return q;
    }

    @Test
    void headerAndCapabilitiesAreModernVirtio() {
        assertEquals(0x1AF4, dev.info().vendorId());
        assertEquals(0x1044, dev.info().deviceId());
        assertEquals(1, dev.info().revision());
        assertEquals(1, dev.info().interruptPin());
        assertEquals(List.of(1, 3, 2, 5), driver.areas().stream().map(VirtioPciDriver.Area::type).toList(),
                "common, ISR, notify, PCI configuration access (§4.1.4.9); no device config");
        assertEquals(4, driver.area(2).notifyMultiplier());
        long f = driver.deviceFeatures();
        assertEquals(VirtioPciDriver.F_VERSION_1 | VirtioPciDriver.F_RING_INDIRECT_DESC | VirtioPciDriver.F_EVENT_IDX, f);
    }

    @Test
    void fillsWritableBuffersAndRaisesIntxUntilTheIsrIsRead() throws Exception {
        Queue q = ready();
        int head = q.addWritable(BUF, 16, BUF + 0x100, 48);
        q.notifyDevice();
        dev.poll();
        assertEquals(List.of(new Used(head, 64)), q.takeUsed());
        assertNotEquals(0, ram.read64(BUF), "random bytes arrived");
        assertNotEquals(0, ram.read64(BUF + 0x100 + 40));
        assertEquals(0, ram.read64(BUF + 16), "nothing past the first buffer");
        assertTrue(board.lineLevel(LineSets.IRQ, gsi), "INTA on GSI " + gsi);
        assertEquals(1, driver.readIsr());
        assertFalse(board.lineLevel(LineSets.IRQ, gsi), "reading the ISR deasserts INTx");
        assertEquals(0, driver.readIsr());
    }

    @Test
    void indirectTablesAreFollowed() throws Exception {
        Queue q = ready();
        long table = 0x30000;
        q.writeDescriptorAt(table, BUF, 8, VirtioPciDriver.DESC_F_WRITE | VirtioPciDriver.DESC_F_NEXT, 1);
        q.writeDescriptorAt(table + 16, BUF + 8, 8, VirtioPciDriver.DESC_F_WRITE, 0);
        q.writeDescriptor(3, table, 32, VirtioPciDriver.DESC_F_INDIRECT, 0);
        q.publish(3);
        q.notifyDevice();
        dev.poll();
        assertEquals(List.of(new Used(3, 16)), q.takeUsed());
        assertEquals(0, dev.status() & VirtioPciDevice.STATUS_DEVICE_NEEDS_RESET);
    }

    @Test
    void featuresWithoutVersion1AreRefused() {
        assertFalse(driver.negotiate(0), "a legacy driver is not accepted (§6.1)");
        assertFalse(driver.negotiate(VirtioPciDriver.F_VERSION_1 | 1L << 40), "nor a feature never offered");
    }

    @Test
    void nothingIsProcessedWhenTheFeaturesWereRefused() throws Exception {
        assertFalse(driver.negotiate(VirtioPciDriver.F_VERSION_1 | 1L << 40));
        Queue q = driver.setUpQueue(0, 16, RINGS);
        driver.driverOk(); // a driver that ignores the refusal
        q.addWritable(BUF, 8);
        q.notifyDevice();
        dev.poll();
        assertEquals(List.of(), q.takeUsed(), "DRIVER_OK without FEATURES_OK serves nothing");
    }

    @Test
    void nothingIsProcessedWithoutBusMastering() throws Exception {
        Queue q = ready();
        dev.commandWritten(0);
        q.addWritable(BUF, 8);
        q.notifyDevice();
        dev.poll();
        assertEquals(List.of(), q.takeUsed());
        dev.commandWritten(io.jvmm.api.device.PciFunction.COMMAND_BUS_MASTER);
        dev.poll();
        assertEquals(1, q.takeUsed().size());
    }

    /** Each hostile queue puts the device in DEVICE_NEEDS_RESET with a config interrupt, and reset recovers. */
    void assertNeedsReset(Queue q) {
        q.notifyDevice();
        dev.poll(); // must not throw
        assertEquals(List.of(), q.takeUsed());
        assertTrue((driver.status() & VirtioPciDriver.STATUS_DEVICE_NEEDS_RESET) != 0, "status " + driver.status());
        assertEquals(2, driver.readIsr() & 2, "configuration change interrupt");
        Queue again = ready();
        again.addWritable(BUF, 8);
        again.notifyDevice();
        dev.poll();
        assertEquals(1, again.takeUsed().size(), "a reset device works again");
    }

    @Test
    void aBufferOutsideRamIsADeviceErrorNotACrash() {
        Queue q = ready();
        q.addWritable(0xC000_0000L, 64); // the PCI hole
        assertNeedsReset(q);
    }

    @Test
    void aBufferWrappingAround2To64IsRefused() {
        Queue q = ready();
        q.addWritable(0xFFFF_FFFF_FFFF_FFF0L, 0x20);
        assertNeedsReset(q);
    }

    @Test
    void aDescriptorLoopIsDetected() {
        Queue q = ready();
        q.writeDescriptor(0, BUF, 8, VirtioPciDriver.DESC_F_WRITE | VirtioPciDriver.DESC_F_NEXT, 1);
        q.writeDescriptor(1, BUF, 8, VirtioPciDriver.DESC_F_WRITE | VirtioPciDriver.DESC_F_NEXT, 0);
        q.publish(0);
        assertNeedsReset(q);
    }

    @Test
    void outOfRangeIndicesAreRefused() {
        Queue q = ready();
        q.writeDescriptor(0, BUF, 8, VirtioPciDriver.DESC_F_WRITE | VirtioPciDriver.DESC_F_NEXT, 999);
        q.publish(0);
        assertNeedsReset(q);
        Queue q2 = ready();
        q2.publish(40); // head beyond the queue
        assertNeedsReset(q2);
    }

    @Test
    void anAvailIndexFarAheadIsRefused() {
        Queue q = ready();
        q.setAvailIndex(1000);
        assertNeedsReset(q);
    }

    @Test
    void nestedOrOversizedIndirectTablesAreRefused() {
        Queue q = ready();
        q.writeDescriptorAt(0x30000, 0x30100, 16, VirtioPciDriver.DESC_F_INDIRECT, 0);
        q.writeDescriptor(0, 0x30000, 16, VirtioPciDriver.DESC_F_INDIRECT, 0);
        q.publish(0);
        assertNeedsReset(q);
        Queue q2 = ready();
        q2.writeDescriptor(0, 0x30000, 16 * 1000, VirtioPciDriver.DESC_F_INDIRECT, 0);
        q2.publish(0);
        assertNeedsReset(q2);
    }

    @Test
    void oversizeLengthsAreCappedNotServedWhole() throws Exception {
        FakeGuestMemory big = new FakeGuestMemory(1L << 30);
        FakeBoard b = new FakeBoard().withGuestMemory(big);
        VirtioPciDevice d = new VirtioPciDevice("rng", new PciAddress(0, SLOT, 0), new VirtioRng(new Random(2), big), b);
        VirtioPciDriver drv = new VirtioPciDriver(d, big);
        assertTrue(drv.negotiate(VirtioPciDriver.F_VERSION_1));
        Queue q = drv.setUpQueue(0, 8, RINGS);
        drv.driverOk();
        int head = q.addWritable(0x100000, 0x3000_0000L); // 768 MiB offered
        q.notifyDevice();
        d.poll();
        assertEquals(List.of(new Used(head, VirtioRng.MAX_PER_REQUEST)), q.takeUsed());
    }

    @Test
    void chainsLeftByTheBudgetAreServedWithoutAnotherNotification() throws Exception {
        Queue q = ready();
        int chains = 2 * VirtioRng.MAX_PER_CALL / VirtioRng.MAX_PER_REQUEST;
        for (int i = 0; i < chains; i++) {
            q.addWritable(BUF + (long) i * VirtioRng.MAX_PER_REQUEST, VirtioRng.MAX_PER_REQUEST);
        }
        q.notifyDevice();
        int wakes = board.waker().wakes();
        dev.poll();
        assertEquals(chains / 2, q.takeUsed().size(), "one call serves MAX_PER_CALL bytes");
        assertTrue(board.waker().wakes() > wakes, "and asks for another poll");
        dev.poll(); // the board's device thread polls again: no new notification
        assertEquals(chains / 2, q.takeUsed().size(), "the rest");
        wakes = board.waker().wakes();
        dev.poll();
        assertEquals(List.of(), q.takeUsed());
        assertEquals(wakes, board.waker().wakes(), "an idle queue asks for nothing");
    }

    @Test
    void resolverParsesItsHandle() throws Exception {
        VirtioRngResolver r = new VirtioRngResolver();
        VirtioRngHandle h = r.parseHandle(new MapConfig(Map.of("pci_device", 4)));
        assertEquals(4, h.pciDevice());
        FakeBoard b = new FakeBoard().withGuestMemory(ram);
        var device = r.resolve(h, b.context("virtio-rng"));
        assertEquals(new PciAddress(0, 4, 0), device.capabilities().pciFunction().orElseThrow().info().address());
    }
}
