package io.jvmm.dev.pcibus;

import io.jvmm.api.device.IoData;
import io.jvmm.api.device.IoResult;
import io.jvmm.api.device.PciAddress;
import io.jvmm.api.device.PciBar;
import io.jvmm.api.device.PciBarKind;
import io.jvmm.api.device.PciBarMapper;
import io.jvmm.api.device.PciCapability;
import io.jvmm.api.device.PciConfigSpace;
import io.jvmm.api.device.PciFunction;
import io.jvmm.api.device.PciFunctionInfo;
import java.util.List;

/**
 * The type-0 configuration header (PCI Local Bus 3.0 §6.1-§6.2) of a plugin's {@link PciFunction}:
 * the fixed IDs from its {@link PciFunctionInfo}, the guest-writable command register, BARs,
 * cache line size, latency timer and interrupt line, and the capability list laid out from 0x40.
 *
 * <p>BARs (§6.2.5.1): the low bits are read-only flags (bit 0 = memory, bits 2:1 = type, bit 3 =
 * prefetchable) and the address bits below the BAR's size read 0, so writing all-ones and reading
 * back gives the size mask. A BAR is mapped through the board's {@link PciBarMapper} while memory
 * decoding (command bit 1) is on and its address is not 0, and remapped whenever either changes.
 * Runs under the bus device's lock; the function's methods take the function's own lock.
 */
final class Type0Function implements PciConfigSpace {
    static final int CONFIG_SIZE = 256;
    static final int OFF_COMMAND = 0x04;
    static final int OFF_STATUS = 0x06;
    static final int OFF_CACHE_LINE = 0x0C;
    static final int OFF_LATENCY = 0x0D;
    static final int OFF_BAR0 = 0x10;
    static final int OFF_SUBSYSTEM = 0x2C;
    static final int OFF_CAP_POINTER = 0x34;
    static final int OFF_INTERRUPT_LINE = 0x3C;
    static final int OFF_INTERRUPT_PIN = 0x3D;
    static final int CAP_START = 0x40;
    /** Memory space, bus master, parity error response, SERR#, interrupt disable (§6.2.2). */
    static final int COMMAND_WRITABLE = 0x0546;
    /** Status bit 4: the function has a capability list (§6.2.3). */
    static final int STATUS_CAPABILITIES = 1 << 4;

    private final PciFunction function;
    private final PciFunctionInfo info;
    private final PciBarMapper mapper;
    /** Per BAR register 0..5: the BAR that starts there, or null (a 64-bit BAR's upper half is null). */
    private final PciBar[] bars = new PciBar[6];
    /** Per capability: its offset in config space. */
    private final int[] capOffsets;
    private final int capEnd;

    private int command;
    private int cacheLine;
    private int latency;
    private int interruptLine;
    /** Programmed address per starting register (the size-masked value). */
    private final long[] address = new long[6];
    /** Where each BAR is mapped now; -1 when it is not. */
    private final long[] mapped = new long[6];

    Type0Function(PciFunction function, PciBarMapper mapper) {
        this.function = function;
        this.info = function.info();
        this.mapper = mapper;
        for (PciBar b : info.bars()) {
            bars[b.index()] = b;
        }
        List<PciCapability> caps = info.capabilities();
        capOffsets = new int[caps.size()];
        int at = CAP_START;
        for (int i = 0; i < caps.size(); i++) {
            capOffsets[i] = at;
            at += (caps.get(i).length() + 3) & ~3;
        }
        capEnd = at;
        java.util.Arrays.fill(mapped, -1);
    }

    PciFunctionInfo info() {
        return info;
    }

    @Override
    public PciAddress address() {
        return info.address();
    }

    /** This function's header as saved state. */
    PciBusState.Function capture() {
        return new PciBusState.Function(info.address().devfn(), command, cacheLine, latency, interruptLine,
                java.util.Arrays.stream(address).boxed().toList());
    }

    /**
     * Refuses a saved header this function could not have: BAR addresses with bits below the BAR's
     * size or above its width, or an address for a BAR register the function does not implement.
     * Changes nothing.
     */
    void check(PciBusState.Function s) {
        for (int r = 0; r < 6; r++) {
            long a = s.bars().get(r);
            PciBar b = bars[r];
            long valid = b == null ? 0 : -b.size() & (b.kind() == PciBarKind.MMIO64 ? -1L : 0xFFFF_FFFFL);
            if ((a & ~valid) != 0) {
                throw new IllegalArgumentException("PCI bus state: " + info.address() + " BAR register " + r + " = 0x"
                        + Long.toHexString(a) + " is not an address this function's BAR can hold"
                        + (b == null ? " (none is implemented there)" : " (size 0x" + Long.toHexString(b.size()) + ")"));
            }
        }
    }

    /**
     * Makes {@code s} (already {@link #check checked}) the header, as the guest's writes would: BARs
     * are (re)mapped through the board's mapper while memory decoding is on and their address is not
     * 0, unmapped otherwise, and the function is told the command register's value.
     */
    void apply(PciBusState.Function s) {
        command = s.command();
        cacheLine = s.cacheLine();
        latency = s.latencyTimer();
        interruptLine = s.interruptLine();
        for (int r = 0; r < 6; r++) {
            address[r] = s.bars().get(r);
        }
        remap();
        function.commandWritten(command);
    }

    int command() {
        return command;
    }

    /** The programmed address of the BAR at register {@code index}. */
    long barAddress(int index) {
        return address[index];
    }

    @Override
    public IoResult pciConfigRead(int offset, byte[] data) {
        if (offset < 0 || offset + data.length > CONFIG_SIZE) {
            return IoResult.INVALID_REGISTER;
        }
        if (offset >= CAP_START) {
            return capabilityRead(offset, data);
        }
        // The header is made of dwords: read the one holding the access and shift.
        int dword = offset & ~3;
        long v = headerDword(dword) >>> ((offset - dword) * 8);
        IoData.put(data, v);
        return IoResult.OK;
    }

    private long headerDword(int dword) {
        switch (dword) {
            case 0x00: return info.vendorId() | (long) info.deviceId() << 16;
            case 0x04: return command | (long) status() << 16;
            case 0x08: return info.revision() | (long) info.classCode() << 8;
            case 0x0C: return cacheLine | latency << 8; // header type 0, single function; BIST 0
            case 0x10: case 0x14: case 0x18: case 0x1C: case 0x20: case 0x24:
                return barRegister((dword - OFF_BAR0) / 4);
            case OFF_SUBSYSTEM: return info.subsystemVendorId() | (long) info.subsystemId() << 16;
            case OFF_CAP_POINTER: return capOffsets.length == 0 ? 0 : CAP_START;
            case OFF_INTERRUPT_LINE: return interruptLine | info.interruptPin() << 8;
            default: return 0; // CardBus CIS, expansion ROM (none), reserved
        }
    }

    private int status() {
        return capOffsets.length == 0 ? 0 : STATUS_CAPABILITIES;
    }

    /** The value of BAR register {@code r} as the guest reads it. */
    private long barRegister(int r) {
        PciBar b = bars[r];
        if (b != null) {
            long flags = (b.kind() == PciBarKind.MMIO64 ? 0b100 : 0) | (b.prefetchable() ? 0b1000 : 0);
            return (address[r] & 0xFFFF_FFF0L) | flags;
        }
        if (r > 0 && bars[r - 1] != null && bars[r - 1].kind() == PciBarKind.MMIO64) {
            return address[r - 1] >>> 32;
        }
        return 0; // unimplemented BAR: reads 0, sizes to 0
    }

    @Override
    public IoResult pciConfigWrite(int offset, byte[] data) {
        if (offset < 0 || offset + data.length > CONFIG_SIZE) {
            return IoResult.INVALID_REGISTER;
        }
        if (offset >= CAP_START) {
            return capabilityWrite(offset, data);
        }
        int dword = offset & ~3;
        int shift = (offset - dword) * 8;
        long bits = data.length == 4 ? 0xFFFF_FFFFL : ((1L << (8 * data.length)) - 1);
        long value = IoData.get(data);
        long merged = (headerDword(dword) & ~(bits << shift)) | (value << shift);
        switch (dword) {
            case 0x04:
                if (offset < OFF_STATUS) { // status is read-only here (no error bits to clear)
                    int old = command;
                    command = (int) merged & COMMAND_WRITABLE;
                    if (command != old) {
                        remap();
                        function.commandWritten(command);
                    }
                }
                break;
            case 0x0C:
                cacheLine = (int) merged & 0xFF;
                latency = (int) (merged >>> 8) & 0xFF;
                break;
            case 0x10: case 0x14: case 0x18: case 0x1C: case 0x20: case 0x24:
                writeBar((dword - OFF_BAR0) / 4, merged & 0xFFFF_FFFFL);
                break;
            case OFF_INTERRUPT_LINE:
                if (offset == OFF_INTERRUPT_LINE) {
                    interruptLine = (int) merged & 0xFF;
                }
                break;
            default:
                break; // read-only
        }
        return IoResult.OK;
    }

    private void writeBar(int r, long value) {
        PciBar b = bars[r];
        if (b != null) {
            long mask = -b.size();
            long high = b.kind() == PciBarKind.MMIO64 ? address[r] & 0xFFFF_FFFF_0000_0000L : 0;
            address[r] = (high | value) & mask & (b.kind() == PciBarKind.MMIO64 ? -1L : 0xFFFF_FFFFL);
        } else if (r > 0 && bars[r - 1] != null && bars[r - 1].kind() == PciBarKind.MMIO64) {
            PciBar lo = bars[r - 1];
            address[r - 1] = ((value << 32) | (address[r - 1] & 0xFFFF_FFFFL)) & -lo.size();
            r = r - 1;
        } else {
            return;
        }
        remap();
    }

    /** Brings every BAR's mapping in line with the command register and its address. */
    private void remap() {
        boolean decode = (command & PciFunction.COMMAND_MEMORY) != 0;
        for (int r = 0; r < 6; r++) {
            PciBar b = bars[r];
            if (b == null) {
                continue;
            }
            long want = decode && address[r] != 0 && fits(address[r], b.size()) ? address[r] : -1;
            if (want == mapped[r]) {
                continue;
            }
            if (mapped[r] != -1) {
                mapper.unmap(r);
                mapped[r] = -1;
            }
            if (want != -1 && mapper.map(r, want, b.size())) {
                mapped[r] = want;
            }
        }
    }

    /** Whether the BAR does not run past 2^64 (a 64-bit BAR mid-sizing could). */
    private static boolean fits(long start, long size) {
        return Long.compareUnsigned(start + size - 1, start) >= 0;
    }

    private int capabilityAt(int offset) {
        for (int i = capOffsets.length - 1; i >= 0; i--) {
            if (offset >= capOffsets[i]) {
                return i;
            }
        }
        return -1;
    }

    private IoResult capabilityRead(int offset, byte[] data) {
        int i = offset < capEnd ? capabilityAt(offset) : -1;
        if (i < 0) {
            IoData.put(data, 0);
            return IoResult.OK;
        }
        int within = offset - capOffsets[i];
        IoResult r = function.capabilityRead(i, within, data);
        // The bus owns each entry's header: byte 0 is the ID, byte 1 the next entry's offset.
        for (int k = 0; k < data.length; k++) {
            int at = within + k;
            if (at == 0) {
                data[k] = (byte) info.capabilities().get(i).id();
            } else if (at == 1) {
                data[k] = (byte) (i + 1 < capOffsets.length ? capOffsets[i + 1] : 0);
            }
        }
        return r;
    }

    private IoResult capabilityWrite(int offset, byte[] data) {
        int i = offset < capEnd ? capabilityAt(offset) : -1;
        return i < 0 ? IoResult.OK : function.capabilityWrite(i, offset - capOffsets[i], data);
    }

    @Override
    public String toString() {
        return "PCI function " + info.address() + " (" + String.format("%04x:%04x", info.vendorId(), info.deviceId())
                + ")";
    }
}
