package io.jvmm.dev.pcibus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.IoData;
import io.jvmm.api.device.IoResult;
import io.jvmm.api.device.PciAddress;
import io.jvmm.api.device.PciBus;
import io.jvmm.api.device.PciConfigSpace;
import io.jvmm.api.device.PortIoIntercept;
import io.jvmm.api.device.SavedStateBlob;
import io.jvmm.api.handles.EmptyHandle;
import io.jvmm.testkit.AllocationMeter;
import io.jvmm.testkit.FakeBoard;
import io.jvmm.testkit.FakeBus;
import io.jvmm.testkit.MapConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PciBusDeviceTest {
    private FakeBoard board;
    private ChipsetDevice device;
    private FakeBus io;

    @BeforeEach
    void setUp() {
        board = new FakeBoard();
        device = new PciBusResolver().resolve(EmptyHandle.INSTANCE, board.context("test-device"));
        io = board.attach(device);
    }

    private static int cf8(int bus, int dev, int fn, int reg) {
        return 0x8000_0000 | bus << 16 | dev << 11 | fn << 8 | (reg & 0xFC);
    }

    private long in(int port, int len) {
        byte[] data = new byte[len];
        assertSame(IoResult.OK, io.ioRead(port, data));
        return IoData.get(data);
    }

    private void out(int port, int len, long value) {
        byte[] data = new byte[len];
        IoData.put(data, value);
        assertSame(IoResult.OK, io.ioWrite(port, data));
    }

    /** Config read through the ports, the way a guest does it. */
    private long cfgRead(int bus, int dev, int fn, int reg, int len) {
        out(0xCF8, 4, cf8(bus, dev, fn, reg) & 0xFFFF_FFFFL);
        return in(0xCFC + (reg & 3), len);
    }

    private void cfgWrite(int bus, int dev, int fn, int reg, int len, long value) {
        out(0xCF8, 4, cf8(bus, dev, fn, reg) & 0xFFFF_FFFFL);
        out(0xCFC + (reg & 3), len, value);
    }

    @Test
    void resolverClaimsAddressAndDataPorts() {
        // 0xCF9 stays free for the reset control register (reset_control)
        assertEquals(List.of(FakeBoard.Claim.pio("config_address", 0xCF8, 0xCF8),
                FakeBoard.Claim.pio("config_address_high", 0xCFA, 0xCFB),
                FakeBoard.Claim.pio("config_data", 0xCFC, 0xCFF)), board.pioClaims());
        assertTrue(board.lines().isEmpty());
        assertTrue(device.capabilities().pciBus().isPresent());
        assertEquals(EmptyHandle.INSTANCE, new PciBusResolver().parseHandle(new MapConfig(Map.of())));
        assertEquals("generic_pci_bus", new PciBusResolver().id());
    }

    @Test
    void addressRegisterReadsBackWithReservedBitsClear() {
        assertEquals(0, in(0xCF8, 4));
        out(0xCF8, 4, 0x8000_0000L);
        assertEquals(0x8000_0000L, in(0xCF8, 4), "Linux's conf1 probe");
        out(0xCF8, 4, 0xFFFF_FFFFL);
        assertEquals(0x80FF_FFFCL, in(0xCF8, 4));
        out(0xCF8, 4, 0x0012_3456L);
        assertEquals(0x0012_3454L, in(0xCF8, 4));
    }

    @Test
    void narrowAccessesToAddressPortAreNotConfigCycles() {
        out(0xCF8, 4, 0x8000_0000L);
        out(0xCFB, 1, 0x01); // Linux pci_check_type1 does exactly this
        out(0xCF8, 2, 0x1234);
        out(0xCFA, 2, 0x1234);
        out(0xCFA, 4, 0x1234_5678L); // a dword that starts past 0xCF8 is no config-address cycle
        assertEquals(0x8000_0000L, in(0xCF8, 4), "address register untouched");
        assertEquals(0xFF, in(0xCF8, 1));
        assertEquals(0xFFFF, in(0xCFA, 2));
        assertEquals(0xFF, in(0xCFB, 1));
        assertEquals(0xFFFF_FFFFL, in(0xCFA, 4));
    }

    @Test
    void hostBridgeIdentity() {
        assertEquals(0x1237_8086L, cfgRead(0, 0, 0, 0x00, 4));
        assertEquals(0x0280_0006L, cfgRead(0, 0, 0, 0x04, 4), "status | command");
        assertEquals(0x0600_0002L, cfgRead(0, 0, 0, 0x08, 4), "class 06/00/00, revision 2");
        assertEquals(0x0000_0000L, cfgRead(0, 0, 0, 0x0C, 4), "header type 0");
        for (int bar = 0x10; bar <= 0x24; bar += 4) {
            assertEquals(0, cfgRead(0, 0, 0, bar, 4), "no BARs");
        }
    }

    @Test
    void hostBridgeIdsAtEveryWidthAndOffset() {
        long[] dwords = {0x1237_8086L, 0x0280_0006L, 0x0600_0002L, 0L};
        for (int reg = 0; reg < 16; reg++) {
            long dword = dwords[reg / 4];
            int shift = 8 * (reg & 3);
            assertEquals((dword >>> shift) & 0xFF, cfgRead(0, 0, 0, reg, 1), "byte at 0x" + reg);
            if ((reg & 1) == 0) {
                assertEquals((dword >>> shift) & 0xFFFF, cfgRead(0, 0, 0, reg, 2), "word at 0x" + reg);
            }
        }
        // A 2-byte read at 0xCFE returns the upper half of the selected dword.
        out(0xCF8, 4, cf8(0, 0, 0, 0) & 0xFFFF_FFFFL);
        assertEquals(0x1237, in(0xCFE, 2));
        assertEquals(0x8086, in(0xCFC, 2));
        assertEquals(0x12, in(0xCFF, 1));
    }

    @Test
    void readOnlyFieldsIgnoreWrites() {
        cfgWrite(0, 0, 0, 0x00, 4, 0xFFFF_FFFFL);
        assertEquals(0x1237_8086L, cfgRead(0, 0, 0, 0x00, 4));
        cfgWrite(0, 0, 0, 0x08, 4, 0);
        assertEquals(0x0600_0002L, cfgRead(0, 0, 0, 0x08, 4));
        cfgWrite(0, 0, 0, 0x10, 4, 0xFFFF_FFFFL);
        assertEquals(0, cfgRead(0, 0, 0, 0x10, 4), "BAR sizing reads 0: not implemented");
        cfgWrite(0, 0, 0, 0x04, 4, 0xFFFF_FFFFL);
        assertEquals(0x0280_0146L, cfgRead(0, 0, 0, 0x04, 4), "status read-only, command masked");
        cfgWrite(0, 0, 0, 0x04, 2, 0);
        assertEquals(0x0280_0000L, cfgRead(0, 0, 0, 0x04, 4));
        cfgWrite(0, 0, 0, 0x0D, 1, 0x40);
        assertEquals(0x40, cfgRead(0, 0, 0, 0x0D, 1), "latency timer is writable");
    }

    @Test
    void absentFunctionsReadAllOnesAndDropWrites() {
        assertEquals(0xFFFF_FFFFL, cfgRead(0, 1, 0, 0, 4));
        assertEquals(0xFFFF, cfgRead(0, 31, 7, 2, 2));
        assertEquals(0xFF, cfgRead(0, 0, 1, 0, 1), "function 1 of the host bridge");
        assertEquals(0xFFFF_FFFFL, cfgRead(1, 0, 0, 0, 4), "only bus 0 exists");
        cfgWrite(0, 3, 0, 4, 4, 0x7);
        assertEquals(0xFFFF_FFFFL, cfgRead(0, 3, 0, 4, 4));
    }

    @Test
    void disabledConfigCycleReadsAllOnes() {
        out(0xCF8, 4, 0x0000_0000L); // 00:00.0 reg 0 but enable clear
        assertEquals(0xFFFF_FFFFL, in(0xCFC, 4));
        out(0xCFC, 4, 0);
        out(0xCF8, 4, 0x8000_0004L);
        assertEquals(0x0280_0006L, in(0xCFC, 4), "disabled write went nowhere");
    }

    @Test
    void dataPortSizeAndAlignmentErrors() {
        out(0xCF8, 4, 0x8000_0000L);
        assertSame(IoResult.UNALIGNED_ACCESS, io.ioRead(0xCFD, new byte[2]));
        assertSame(IoResult.UNALIGNED_ACCESS, io.ioRead(0xCFE, new byte[4]));
        assertSame(IoResult.UNALIGNED_ACCESS, io.ioWrite(0xCFF, new byte[2]));
        assertSame(IoResult.INVALID_ACCESS_SIZE, io.ioRead(0xCFC, new byte[3]));
        assertSame(IoResult.INVALID_ACCESS_SIZE, io.ioWrite(0xCFC, new byte[8]));
    }

    /** A function that records the last access. */
    static final class RecordingFunction implements PciConfigSpace {
        final PciAddress address;
        int lastOffset = -1;
        byte[] lastWrite;

        RecordingFunction(PciAddress address) {
            this.address = address;
        }

        @Override
        public PciAddress address() {
            return address;
        }

        @Override
        public IoResult pciConfigRead(int offset, byte[] data) {
            lastOffset = offset;
            for (int i = 0; i < data.length; i++) {
                data[i] = (byte) (offset + i);
            }
            return IoResult.OK;
        }

        @Override
        public IoResult pciConfigWrite(int offset, byte[] data) {
            lastOffset = offset;
            lastWrite = data.clone();
            return IoResult.OK;
        }
    }

    @Test
    void attachedFunctionsSeeTheirOffsets() {
        PciBus bus = device.capabilities().pciBus().orElseThrow();
        RecordingFunction f = new RecordingFunction(new PciAddress(0, 4, 2));
        bus.attach("virtio-blk", f);
        assertEquals(0x4342_4140L, cfgRead(0, 4, 2, 0x40, 4));
        assertEquals(0x40, f.lastOffset);
        assertEquals(0xFF, cfgRead(0, 4, 2, 0xFF, 1));
        assertEquals(0xFF, f.lastOffset);
        assertEquals(0x4746, cfgRead(0, 4, 2, 0x46, 2));
        cfgWrite(0, 4, 2, 0x13, 1, 0xAB);
        assertEquals(0x13, f.lastOffset);
        assertArrayEquals(new byte[] {(byte) 0xAB}, f.lastWrite);
    }

    @Test
    void attachConflictsAndOtherBusesAreRejected() {
        PciBus bus = device.capabilities().pciBus().orElseThrow();
        IllegalStateException taken = assertThrows(IllegalStateException.class,
                () -> bus.attach("imposter", new RecordingFunction(new PciAddress(0, 0, 0))));
        assertEquals("cannot attach imposter to 00:00.0, already occupied by host-bridge", taken.getMessage());
        IllegalStateException other = assertThrows(IllegalStateException.class,
                () -> bus.attach("far", new RecordingFunction(new PciAddress(2, 0, 0))));
        assertTrue(other.getMessage().contains("bus 00 only"), other.getMessage());
    }

    @Test
    void saveRestoreRoundTripAndReset() {
        cfgWrite(0, 0, 0, 0x04, 2, 0x0002);
        cfgWrite(0, 0, 0, 0x0D, 1, 0x20);
        out(0xCF8, 4, cf8(0, 0, 0, 0x08) & 0xFFFF_FFFFL);
        SavedStateBlob blob = device.capabilities().savedState().orElseThrow().save();
        assertEquals("chipset.pci_bus", blob.format());
        assertEquals(2, blob.version(), "version 2: the shared StateFormat encoding, with the functions' headers");

        FakeBoard other = new FakeBoard();
        ChipsetDevice copy = new PciBusResolver().resolve(EmptyHandle.INSTANCE, other.context("test-device"));
        copy.capabilities().savedState().orElseThrow().restore(blob);
        FakeBus cio = FakeBus.of(copy);
        byte[] d = new byte[4];
        cio.ioRead(0xCF8, d);
        assertEquals(cf8(0, 0, 0, 0x08) & 0xFFFF_FFFFL, IoData.get(d));
        cio.ioRead(0xCFC, d);
        assertEquals(0x0600_0002L, IoData.get(d));
        assertEquals(blob, copy.capabilities().savedState().orElseThrow().save());

        assertThrows(IllegalArgumentException.class, () -> copy.capabilities().savedState().orElseThrow()
                .restore(new SavedStateBlob("chipset.pci_bus", 9, blob.data())));
        assertThrows(IllegalArgumentException.class, () -> copy.capabilities().savedState().orElseThrow()
                .restore(new SavedStateBlob("chipset.pci_bus", 2, new byte[2])));
        assertThrows(IllegalArgumentException.class, () -> copy.capabilities().savedState().orElseThrow()
                .restore(new SavedStateBlob("chipset.pci_bus", 1, blob.data())), "version 1 was another layout");

        device.capabilities().lifecycle().orElseThrow().reset();
        assertEquals(0, in(0xCF8, 4));
        assertEquals(0x0280_0006L, cfgRead(0, 0, 0, 0x04, 4));
        assertEquals(0, cfgRead(0, 0, 0, 0x0C, 4));
    }

    @Test
    void pciAddressValidatesAndFormats() {
        assertEquals("00:1f.7", new PciAddress(0, 31, 7).toString());
        assertEquals(0xFF, new PciAddress(0, 31, 7).devfn());
        assertThrows(IllegalArgumentException.class, () -> new PciAddress(0, 32, 0));
        assertThrows(IllegalArgumentException.class, () -> new PciAddress(0, 0, 8));
        assertThrows(IllegalArgumentException.class, () -> new PciAddress(256, 0, 0));
    }

    @Test
    void scanAllocatesNothing() {
        byte[] four = new byte[4];
        byte[] addr = new byte[4];
        Runnable scan = () -> {
            for (int rep = 0; rep < 20; rep++) {
                for (int devfn = 0; devfn < 256; devfn++) {
                    IoData.put(addr, 0x8000_0000L | devfn << 8);
                    io.ioWrite(0xCF8, addr);
                    io.ioRead(0xCFC, four);
                }
            }
        };
        scan.run();
        long allocated = AllocationMeter.allocatedBytes(scan);
        assertTrue(allocated >= 0, "this JVM cannot count allocated bytes");
        assertTrue(allocated < 4096, "a bus scan allocated " + allocated + " bytes");
    }
}
