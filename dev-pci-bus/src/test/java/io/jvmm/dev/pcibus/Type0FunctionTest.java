package io.jvmm.dev.pcibus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.jvmm.api.device.IoData;
import io.jvmm.api.device.IoResult;
import io.jvmm.api.device.PciAddress;
import io.jvmm.api.device.PciBar;
import io.jvmm.api.device.PciBarKind;
import io.jvmm.api.device.PciBarMapper;
import io.jvmm.api.device.PciCapability;
import io.jvmm.api.device.PciFunction;
import io.jvmm.api.device.PciFunctionInfo;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A plugin's PCI function behind the bus's type-0 header, reached through 0xCF8/0xCFC. */
class Type0FunctionTest {
    static final PciAddress AT = new PciAddress(0, 3, 0);

    /** A function with a 32-bit BAR 0 (4 KiB), a 64-bit prefetchable BAR 2 (16 KiB) and two capabilities. */
    static final class Fn implements PciFunction {
        final List<String> calls = new ArrayList<>();
        int command = -1;

        @Override
        public PciFunctionInfo info() {
            return new PciFunctionInfo(AT, 0x1AF4, 0x1044, 1, 0xFF0000, 0x1AF4, 0x0044, 1,
                    List.of(new PciBar(0, PciBarKind.MMIO32, 0x1000, false), new PciBar(2, PciBarKind.MMIO64, 0x4000, true)),
                    List.of(new PciCapability(0x09, 16), new PciCapability(0x09, 20)));
        }

        @Override
        public IoResult barRead(int bar, long offset, byte[] data) {
            IoData.put(data, bar * 0x100 + offset);
            return IoResult.OK;
        }

        @Override
        public IoResult barWrite(int bar, long offset, byte[] data) {
            return IoResult.OK;
        }

        @Override
        public IoResult capabilityRead(int capability, int offset, byte[] data) {
            IoData.put(data, 0xA0A0_A0A0L + capability);
            return IoResult.OK;
        }

        @Override
        public IoResult capabilityWrite(int capability, int offset, byte[] data) {
            calls.add("cap" + capability + "@" + offset + "=" + Long.toHexString(IoData.get(data)));
            return IoResult.OK;
        }

        @Override
        public void commandWritten(int command) {
            this.command = command;
        }
    }

    /** Records the board's side. */
    static final class Mapper implements PciBarMapper {
        final List<String> log = new ArrayList<>();

        @Override
        public boolean map(int bar, long address, long size) {
            log.add("map " + bar + " 0x" + Long.toHexString(address) + " 0x" + Long.toHexString(size));
            return true;
        }

        @Override
        public void unmap(int bar) {
            log.add("unmap " + bar);
        }
    }

    final Fn fn = new Fn();
    final Mapper mapper = new Mapper();
    final PciBusDevice bus = new PciBusDevice("pci");

    Type0FunctionTest() {
        bus.attach("fn", fn, mapper);
    }

    long read(int reg) {
        byte[] d = new byte[4];
        bus.ioWrite(PciBusDevice.ADDRESS_REGION, 0, le(0x8000_0000L | AT.devfn() << 8 | reg));
        bus.ioRead(PciBusDevice.DATA_REGION, 0, d);
        return IoData.get(d);
    }

    void write(int reg, long value) {
        bus.ioWrite(PciBusDevice.ADDRESS_REGION, 0, le(0x8000_0000L | AT.devfn() << 8 | reg));
        bus.ioWrite(PciBusDevice.DATA_REGION, 0, le(value));
    }

    static byte[] le(long v) {
        byte[] d = new byte[4];
        IoData.put(d, v);
        return d;
    }

    @Test
    void headerCarriesTheFunctionsIds() {
        assertEquals(0x1044_1AF4L, read(0x00));
        assertEquals(0x0010_0000L, read(0x04), "status: capability list; command 0");
        assertEquals(0xFF00_0001L, read(0x08));
        assertEquals(0x0044_1AF4L, read(0x2C));
        assertEquals(0x40, read(0x34));
        assertEquals(0x0100, read(0x3C), "interrupt pin INTA");
        write(0x3C, 0xFFFF_FF0BL);
        assertEquals(0x010B, read(0x3C), "interrupt line is writable, the pin is not");
    }

    @Test
    void barsSizeAndProgramAndMapOnlyWhileDecoding() {
        assertEquals(0, read(0x10));
        write(0x10, 0xFFFF_FFFFL);
        assertEquals(0xFFFF_F000L, read(0x10), "4 KiB, 32-bit, not prefetchable");
        write(0x18, 0xFFFF_FFFFL);
        write(0x1C, 0xFFFF_FFFFL);
        assertEquals(0xFFFF_C00CL, read(0x18), "16 KiB, 64-bit, prefetchable");
        assertEquals(0xFFFF_FFFFL, read(0x1C));
        assertEquals(0, read(0x14), "unimplemented BAR reads 0");
        assertEquals(List.of(), mapper.log, "nothing is mapped while memory decoding is off");
        write(0x10, 0xC000_0000L);
        write(0x18, 0xC000_4000L);
        write(0x1C, 0);
        write(0x04, PciFunction.COMMAND_MEMORY | PciFunction.COMMAND_BUS_MASTER);
        assertEquals(PciFunction.COMMAND_MEMORY | PciFunction.COMMAND_BUS_MASTER, fn.command);
        assertEquals(List.of("map 0 0xc0000000 0x1000", "map 2 0xc0004000 0x4000"), mapper.log);
        mapper.log.clear();
        write(0x10, 0xC000_8123L); // moved while decoding; low bits are not address bits
        assertEquals(0xC000_8000L, read(0x10));
        assertEquals(List.of("unmap 0", "map 0 0xc0008000 0x1000"), mapper.log);
        mapper.log.clear();
        write(0x1C, 0x1); // the upper half moves the 64-bit BAR above 4 GiB
        assertEquals(List.of("unmap 2", "map 2 0x1c0004000 0x4000"), mapper.log);
        mapper.log.clear();
        write(0x04, 0);
        assertEquals(List.of("unmap 0", "unmap 2"), mapper.log);
        mapper.log.clear();
        write(0x04, PciFunction.COMMAND_MEMORY);
        bus.reset();
        assertEquals(List.of("map 0 0xc0008000 0x1000", "map 2 0x1c0004000 0x4000", "unmap 0", "unmap 2"), mapper.log);
        assertEquals(0, read(0x10), "reset clears the BARs");
        assertEquals(0, fn.command);
    }

    @Test
    void capabilitiesAreLinkedByTheBus() {
        assertEquals(0xA0A0_5009L, read(0x40), "ID 9, next 0x50, then the device's bytes");
        assertEquals(0xA0A0_0009L, read(0x50), "the last entry's next is 0");
        assertEquals(0, read(0x64), "past the list");
        write(0x44, 0x1234);
        assertEquals(List.of("cap0@4=1234"), fn.calls);
    }

    @Test
    void aSecondFunctionInTheSameSlotIsRefused() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> bus.attach("other", new Fn(), mapper));
        assertEquals("cannot attach other to 00:03.0, already occupied by fn", e.getMessage());
    }
}
