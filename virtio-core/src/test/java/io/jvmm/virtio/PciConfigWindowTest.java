package io.jvmm.virtio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.jvmm.api.device.IoData;
import io.jvmm.api.device.PciAddress;
import io.jvmm.api.device.PciCapability;
import io.jvmm.testkit.FakeBoard;
import io.jvmm.testkit.FakeGuestMemory;
import io.jvmm.testkit.VirtioPciDriver;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The PCI configuration access capability (virtio 1.2 §4.1.4.9): a driver that cannot map BAR 0
 * reaches the common configuration through configuration space alone.
 */
class PciConfigWindowTest {
    final FakeGuestMemory ram = new FakeGuestMemory(1 << 20);
    final NotificationSuppressionTest.Echo echo = new NotificationSuppressionTest.Echo();
    final VirtioPciDevice dev = new VirtioPciDevice("echo", new PciAddress(0, 6, 0), echo,
            new FakeBoard().withGuestMemory(ram));
    final VirtioPciDriver driver = new VirtioPciDriver(dev, ram);
    final int window = windowIndex();

    private int windowIndex() {
        List<PciCapability> caps = dev.info().capabilities();
        int found = -1;
        for (int i = 0; i < caps.size(); i++) {
            if (caps.get(i).id() == VirtioPciDevice.PCI_CAP_VENDOR && read(i, 3, 1) == VirtioPciDevice.CAP_PCI_CFG) {
                assertEquals(-1, found, "one configuration access capability");
                found = i;
                assertEquals(20, caps.get(i).length(), "struct virtio_pci_cfg_cap is 20 bytes");
                assertEquals(20, read(i, 2, 1), "cap_len");
            }
        }
        assertNotEquals(-1, found, "§4.1.4.9: the device MUST present a VIRTIO_PCI_CAP_PCI_CFG capability");
        return found;
    }

    private long read(int cap, int offset, int len) {
        byte[] d = new byte[len];
        dev.capabilityRead(cap, offset, d);
        return IoData.get(d);
    }

    private void write(int offset, int len, long value) {
        byte[] d = new byte[len];
        IoData.put(d, value);
        dev.capabilityWrite(window, offset, d);
    }

    /** Points the window at {@code length} bytes at {@code offset} of {@code bar}. */
    private void point(int bar, long offset, int length) {
        write(VirtioPciDevice.CFG_BAR, 1, bar);
        write(VirtioPciDevice.CFG_OFFSET, 4, offset);
        write(VirtioPciDevice.CFG_LENGTH, 4, length);
    }

    @Test
    void readsAndWritesTheCommonConfigurationThroughTheWindow() {
        point(VirtioPciDevice.BAR, 0x12, 2); // num_queues
        assertEquals(2, read(window, VirtioPciDevice.CFG_DATA, 4) & 0xFFFF, "num_queues read through the window");
        point(VirtioPciDevice.BAR, 0x14, 1); // device_status
        write(VirtioPciDevice.CFG_DATA, 1, VirtioPciDevice.STATUS_ACKNOWLEDGE | VirtioPciDevice.STATUS_DRIVER);
        assertEquals(VirtioPciDevice.STATUS_ACKNOWLEDGE | VirtioPciDevice.STATUS_DRIVER, dev.status());
        assertEquals(dev.status(), driver.status(), "the BAR sees what the window wrote");
        long features = driver.deviceFeatures(); // through BAR 0; leaves device_feature_select at 1
        point(VirtioPciDevice.BAR, 0x00, 4); // device_feature_select
        write(VirtioPciDevice.CFG_DATA, 4, 0);
        point(VirtioPciDevice.BAR, 0x04, 4); // device_feature, bits 0-31
        assertEquals(features & 0xFFFF_FFFFL, read(window, VirtioPciDevice.CFG_DATA, 4));
        assertEquals(VirtioPciDevice.BAR, read(window, VirtioPciDevice.CFG_BAR, 1), "cap.bar reads back");
        assertEquals(0x04, read(window, VirtioPciDevice.CFG_OFFSET, 4), "cap.offset reads back");
        assertEquals(4, read(window, VirtioPciDevice.CFG_LENGTH, 4), "cap.length reads back");
    }

    @Test
    void ignoresLengthsOffsetsAndBarsTheDriverMustNotUse() {
        point(VirtioPciDevice.BAR, 0x14, 3); // length 3: not 1, 2 or 4
        write(VirtioPciDevice.CFG_DATA, 1, VirtioPciDevice.STATUS_ACKNOWLEDGE);
        assertEquals(0, dev.status(), "length 3 is ignored");
        point(VirtioPciDevice.BAR, 0x13, 2); // misaligned
        write(VirtioPciDevice.CFG_DATA, 2, 0x0101);
        assertEquals(0, dev.status(), "a misaligned access is ignored");
        point(5, 0x14, 1); // no BAR 5
        write(VirtioPciDevice.CFG_DATA, 1, VirtioPciDevice.STATUS_ACKNOWLEDGE);
        assertEquals(0, dev.status(), "a BAR the function lacks is ignored");
        point(VirtioPciDevice.BAR, 0xFFFF_FFFCL, 4); // far beyond BAR 0
        write(VirtioPciDevice.CFG_DATA, 4, 0x0F);
        assertEquals(0xFFFF_FFFFL, read(window, VirtioPciDevice.CFG_DATA, 4), "beyond the BAR reads ones");
        write(3, 1, 0x7F); // cfg_type is fixed
        assertEquals(VirtioPciDevice.CAP_PCI_CFG, read(window, 3, 1));
    }

    @Test
    void aResetClearsTheWindow() {
        point(VirtioPciDevice.BAR, 0x14, 1);
        dev.reset();
        assertEquals(0, read(window, VirtioPciDevice.CFG_OFFSET, 4));
        assertEquals(0, read(window, VirtioPciDevice.CFG_LENGTH, 4));
    }
}
