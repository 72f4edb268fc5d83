package io.jvmm.dev.virtioconsole;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.LineSets;
import io.jvmm.api.device.PciAddress;
import io.jvmm.api.device.PciPlatform;
import io.jvmm.api.handles.StdioSerialHandle;
import io.jvmm.api.handles.VirtioConsoleHandle;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.testkit.FakeBoard;
import io.jvmm.testkit.FakeGuestMemory;
import io.jvmm.testkit.MapConfig;
import io.jvmm.testkit.SerialPipe;
import io.jvmm.testkit.VirtioPciDriver;
import io.jvmm.testkit.VirtioPciDriver.Queue;
import io.jvmm.testkit.VirtioPciDriver.Used;
import io.jvmm.virtio.VirtioPciDevice;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** virtio-console over the modern PCI transport, driven by the testkit's guest-side driver. */
class VirtioConsoleTest {
    static final int SLOT = 5;
    static final long RX_RINGS = 0x10000;
    static final long TX_RINGS = 0x14000;
    static final long RX_BUF = 0x20000;
    static final long TX_BUF = 0x80000;

    final FakeGuestMemory ram = new FakeGuestMemory(2 << 20);
    final FakeBoard board = new FakeBoard().withGuestMemory(ram);
    final SerialPipe pipe = new SerialPipe(1024, true);
    final VirtioConsole console = new VirtioConsole(pipe.backend(), ram);
    final VirtioPciDevice dev = new VirtioPciDevice("console", new PciAddress(0, SLOT, 0), console, board);
    final VirtioPciDriver driver = new VirtioPciDriver(dev, ram);
    final int gsi = PciPlatform.intxGsi(SLOT, 0);
    Queue rx;
    Queue tx;

    VirtioConsoleTest() {
        pipe.backend().setListener(console.listener(board.waker()));
    }

    void ready() {
        assertTrue(driver.negotiate(VirtioPciDriver.F_VERSION_1));
        rx = driver.setUpQueue(0, 16, RX_RINGS);
        tx = driver.setUpQueue(1, 16, TX_RINGS);
        driver.driverOk();
    }

    /** A transmit chain of one readable buffer holding {@code data}; returns its head. */
    int transmit(int desc, long at, byte[] data) throws Exception {
        ram.write(at, data, 0, data.length);
        tx.writeDescriptor(desc, at, data.length, 0, 0);
        tx.publish(desc);
        return desc;
    }

    byte[] guestBytes(long at, int n) throws Exception {
        byte[] b = new byte[n];
        ram.read(at, b, 0, n);
        return b;
    }

    @Test
    void isAModernVirtioConsoleWithTwoQueuesAndNoFeatures() {
        assertEquals(0x1AF4, dev.info().vendorId());
        assertEquals(0x1043, dev.info().deviceId(), "0x1040 + device ID 3 (§4.1.2)");
        assertEquals(VirtioPciDriver.F_VERSION_1 | VirtioPciDriver.F_RING_INDIRECT_DESC | VirtioPciDriver.F_EVENT_IDX,
                driver.deviceFeatures(), "transport features only (no console features)");
        assertEquals(2, driver.readCommon(0x12, 2), "num_queues: port 0's receiveq and transmitq");
    }

    @Test
    void guestOutputReachesTheBackendAndIsAcknowledged() throws Exception {
        ready();
        int head = transmit(0, TX_BUF, "hello hvc0\n".getBytes(StandardCharsets.US_ASCII));
        tx.notifyDevice();
        dev.poll();
        assertEquals(List.of(new Used(head, 0)), tx.takeUsed(), "transmit buffers come back with nothing written");
        assertEquals("hello hvc0\n", pipe.hostOutput());
        assertTrue(board.lineLevel(LineSets.IRQ, gsi), "INTA");
        assertEquals(1, driver.readIsr());
    }

    @Test
    void hostInputFillsPostedReceiveBuffers() throws Exception {
        ready();
        int head = rx.addWritable(RX_BUF, 64);
        rx.notifyDevice();
        dev.poll();
        assertEquals(List.of(), rx.takeUsed(), "no input yet: the buffer is kept");
        int wakes = board.waker().wakes();
        pipe.hostWrite("typed\n");
        assertTrue(board.waker().wakes() > wakes, "input wakes the device's poll");
        dev.poll(); // no notification from the guest: the backend's input is the work
        assertEquals(List.of(new Used(head, 6)), rx.takeUsed());
        assertEquals("typed\n", new String(guestBytes(RX_BUF, 6), StandardCharsets.US_ASCII));
        assertTrue(board.lineLevel(LineSets.IRQ, gsi));
    }

    @Test
    void inputWaitsInTheBackendWhileTheGuestPostsNoBuffers() throws Exception {
        ready();
        pipe.hostWrite("early bytes");
        dev.poll();
        dev.poll();
        assertEquals(11, pipe.pendingInput(), "nothing taken: no buffer to put it in, nothing dropped");
        int head = rx.addWritable(RX_BUF, 64);
        rx.notifyDevice();
        dev.poll();
        assertEquals(List.of(new Used(head, 11)), rx.takeUsed());
        assertEquals("early bytes", new String(guestBytes(RX_BUF, 11), StandardCharsets.US_ASCII));
        assertEquals(0, pipe.pendingInput());
    }

    @Test
    void tinyAndScatteredReceiveBuffersLoseNothing() throws Exception {
        ready();
        byte[] data = new byte[40];
        new Random(3).nextBytes(data);
        pipe.hostWrite(data);
        // chains of 1 byte, of 3 + 2 bytes, and of 0 writable bytes (returned empty)
        int a = rx.addWritable(RX_BUF, 1);
        int b = rx.addWritable(RX_BUF + 0x100, 3, RX_BUF + 0x200, 2);
        rx.writeDescriptor(5, RX_BUF + 0x300, 8, 0, 0); // readable only
        rx.publish(5);
        int c = rx.addWritable(RX_BUF + 0x400, 64);
        rx.notifyDevice();
        dev.poll();
        assertEquals(List.of(new Used(a, 1), new Used(b, 5), new Used(5, 0), new Used(c, 34)), rx.takeUsed());
        byte[] got = new byte[40];
        System.arraycopy(guestBytes(RX_BUF, 1), 0, got, 0, 1);
        System.arraycopy(guestBytes(RX_BUF + 0x100, 3), 0, got, 1, 3);
        System.arraycopy(guestBytes(RX_BUF + 0x200, 2), 0, got, 4, 2);
        System.arraycopy(guestBytes(RX_BUF + 0x400, 34), 0, got, 6, 34);
        assertArrayEquals(data, got);
    }

    @Test
    void aFullBackendHoldsTheChainAndResumesWhenItDrains() throws Exception {
        ready();
        byte[] big = new byte[3000]; // the pipe holds 1024
        new Random(4).nextBytes(big);
        int head = transmit(0, TX_BUF, big);
        tx.notifyDevice();
        dev.poll();
        assertEquals(List.of(), tx.takeUsed(), "not all taken: the chain stays with the device");
        assertEquals(1024, pipe.bufferedOutput());
        byte[] out = new byte[0];
        for (int round = 0; round < 5 && out.length < big.length; round++) {
            out = pipe.hostOutputBytes(); // drains, and the listener wakes the device
            dev.poll(); // no notification: the freed space is the work
        }
        out = pipe.hostOutputBytes();
        assertArrayEquals(big, out, "every byte, in order");
        assertEquals(List.of(new Used(head, 0)), tx.takeUsed());
    }

    @Test
    void aFloodIsServedInBoundedStepsWithoutAnotherNotification() throws Exception {
        SerialPipe wide = new SerialPipe(1 << 20, true);
        VirtioConsole c = new VirtioConsole(wide.backend(), ram);
        FakeBoard b = new FakeBoard().withGuestMemory(ram);
        VirtioPciDevice d = new VirtioPciDevice("console", new PciAddress(0, SLOT, 0), c, b);
        wide.backend().setListener(c.listener(b.waker()));
        VirtioPciDriver drv = new VirtioPciDriver(d, ram);
        assertTrue(drv.negotiate(VirtioPciDriver.F_VERSION_1));
        drv.setUpQueue(0, 16, RX_RINGS);
        Queue q = drv.setUpQueue(1, 16, TX_RINGS);
        drv.driverOk();
        int chains = 8;
        int each = 32 * 1024; // 256 KiB in all, four times one call's budget
        for (int i = 0; i < chains; i++) {
            q.writeDescriptor(i, TX_BUF + (long) i * each, each, 0, 0);
            q.publish(i);
        }
        q.notifyDevice();
        int wakes = b.waker().wakes();
        d.poll();
        assertEquals(VirtioConsole.MAX_PER_CALL, wide.bufferedOutput(), "one call moves at most MAX_PER_CALL");
        assertTrue(b.waker().wakes() > wakes, "and asks for another poll");
        for (int i = 0; i < 4; i++) {
            d.poll();
        }
        assertEquals(chains, q.takeUsed().size());
        assertEquals(chains * each, wide.bufferedOutput());
    }

    @Test
    void withNobodyConnectedOutputIsDroppedNotHeldAndNoInputArrives() throws Exception {
        pipe.setConnected(false); // a tcp port without a client
        ready();
        int head = transmit(0, TX_BUF, new byte[3000]);
        tx.notifyDevice();
        dev.poll();
        assertEquals(List.of(new Used(head, 0)), tx.takeUsed(), "the guest gets its buffer back: it cannot stall");
        assertEquals(3000, pipe.backend().droppedBytes(), "dropped and counted, as a COM port's output is");
        int rxHead = rx.addWritable(RX_BUF, 16);
        rx.notifyDevice();
        dev.poll();
        assertEquals(List.of(), rx.takeUsed());
        pipe.hostWrite("hi");
        pipe.setConnected(true); // the client arrives: its input flows
        dev.poll();
        assertEquals(List.of(new Used(rxHead, 2)), rx.takeUsed());
    }

    @Test
    void badDescriptorsNeedResetAndResetRecovers() throws Exception {
        ready();
        tx.writeDescriptor(0, 0xC000_0000L, 64, 0, 0); // the PCI hole
        tx.publish(0);
        tx.notifyDevice();
        dev.poll(); // must not throw
        assertTrue((driver.status() & VirtioPciDriver.STATUS_DEVICE_NEEDS_RESET) != 0, "status " + driver.status());
        assertEquals(2, driver.readIsr() & 2, "configuration change interrupt");
        rx.setAvailIndex(1000); // and a hostile receive ring: the device stays stopped, nothing thrown
        pipe.hostWrite("x");
        dev.poll();
        assertEquals("", pipe.hostOutput());

        ready(); // negotiate() resets first
        int head = transmit(0, TX_BUF, "after reset".getBytes(StandardCharsets.US_ASCII));
        tx.notifyDevice();
        dev.poll();
        assertEquals(List.of(new Used(head, 0)), tx.takeUsed());
        assertEquals("after reset", pipe.hostOutput());
    }

    @Test
    void aReceiveLoopOrAWritableTransmitBufferIsHandled() throws Exception {
        ready();
        rx.writeDescriptor(0, RX_BUF, 8, VirtioPciDriver.DESC_F_WRITE | VirtioPciDriver.DESC_F_NEXT, 1);
        rx.writeDescriptor(1, RX_BUF, 8, VirtioPciDriver.DESC_F_WRITE | VirtioPciDriver.DESC_F_NEXT, 0);
        rx.publish(0);
        rx.notifyDevice();
        dev.poll();
        assertTrue((driver.status() & VirtioPciDriver.STATUS_DEVICE_NEEDS_RESET) != 0, "a loop is a protocol error");

        ready();
        tx.writeDescriptor(0, TX_BUF, 8, VirtioPciDriver.DESC_F_WRITE, 0); // nothing to send in it
        tx.publish(0);
        tx.notifyDevice();
        dev.poll();
        assertEquals(List.of(new Used(0, 0)), tx.takeUsed(), "returned empty, nothing sent");
        assertEquals("", pipe.hostOutput());
    }

    @Test
    void resetMidTransferForgetsTheHeldChains() throws Exception {
        ready();
        rx.addWritable(RX_BUF, 64);
        rx.notifyDevice();
        byte[] big = new byte[3000];
        Arrays.fill(big, (byte) 'a');
        transmit(0, TX_BUF, big);
        tx.notifyDevice();
        dev.poll(); // the receive chain waits for input, the transmit chain for space
        assertEquals(1024, pipe.bufferedOutput());

        ready(); // the driver resets and sets up new rings (their old contents are stale)
        pipe.hostOutput();
        pipe.clearTranscript();
        pipe.hostWrite("in");
        dev.poll();
        assertEquals(List.of(), rx.takeUsed(), "the old receive chain is gone: input waits for a new buffer");
        assertEquals("", pipe.hostOutput(), "the old transmit chain is not resumed");
        int head = rx.addWritable(RX_BUF + 0x800, 16);
        rx.notifyDevice();
        dev.poll();
        assertEquals(List.of(new Used(head, 2)), rx.takeUsed());
        assertEquals("in", new String(guestBytes(RX_BUF + 0x800, 2), StandardCharsets.US_ASCII));
    }

    @Test
    void resolverParsesItsHandleAndWiresTheBackend() throws Exception {
        VirtioConsoleResolver r = new VirtioConsoleResolver();
        VirtioConsoleHandle h = r.parseHandle(new MapConfig(Map.of("pci_device", 5, "io", StdioSerialHandle.resource())));
        assertEquals(5, h.pciDevice());
        FakeBoard b = new FakeBoard().withGuestMemory(ram);
        SerialPipe p = new SerialPipe();
        var device = r.resolve(h, b.context("virtio-console", Map.of(ResourceKinds.SERIAL_BACKEND, p.backend())));
        assertEquals(new PciAddress(0, 5, 0), device.capabilities().pciFunction().orElseThrow().info().address());
        int wakes = b.waker().wakes();
        p.hostWrite("x");
        assertTrue(b.waker().wakes() > wakes, "the backend's listener wakes the device");
    }
}
