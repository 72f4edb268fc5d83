package io.jvmm.dev.pcibus;

import io.jvmm.api.device.Capabilities;
import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.DeviceLifecycle;
import io.jvmm.api.device.IoData;
import io.jvmm.api.device.IoRegion;
import io.jvmm.api.device.IoResult;
import io.jvmm.api.device.PciAddress;
import io.jvmm.api.device.PciBus;
import io.jvmm.api.device.PciBarMapper;
import io.jvmm.api.device.PciConfigSpace;
import io.jvmm.api.device.PciFunction;
import io.jvmm.api.device.PortIoIntercept;
import io.jvmm.api.device.SaveRestore;
import io.jvmm.api.device.SavedStateBlob;
import java.util.List;

/**
 * PCI bus 0 behind configuration mechanism #1: a 32-bit address register at 0xCF8 selects
 * bus/device/function/register, and 0xCFC–0xCFF carry the selected dword's bytes.
 *
 * <p>Only dword accesses at 0xCF8 reach the address register. Byte and word accesses to
 * 0xCF8–0xCFB are ordinary I/O cycles in the PCI specification (chipsets put other registers
 * there): those that start at 0xCF8, 0xCFA or 0xCFB read all-ones here and writes are dropped,
 * without an error (Linux's conf1 probe writes a byte to 0xCFB). Port 0xCF9 is left unclaimed: the
 * chipset's reset control register lives there ({@code reset_control}, dev-pm). Data-port accesses
 * must be naturally aligned (1, 2 or 4 bytes); while the enable bit is clear, or for a function
 * nobody attached, reads return all-ones and writes are dropped.
 */
final class PciBusDevice implements ChipsetDevice, PortIoIntercept, PciBus, DeviceLifecycle, SaveRestore {
    private final Capabilities capabilities = Capabilities.builder()
            .portIo(this).pciBus(this).lifecycle(this).savedState(this)
            .acpiNode(PciRootAcpi.node()).build();

    @Override
    public Capabilities capabilities() {
        return capabilities;
    }

    static final int CONFIG_ADDRESS = 0xCF8;
    static final int CONFIG_DATA = 0xCFC;
    /**
     * The address register's dword without port 0xCF9 (an access is routed by its first port, so a
     * dword at 0xCF8 still arrives here whole), and the data window.
     */
    static final List<IoRegion> REGIONS = List.of(new IoRegion("config_address", CONFIG_ADDRESS, 1),
            new IoRegion("config_address_high", CONFIG_ADDRESS + 2, 2), new IoRegion("config_data", CONFIG_DATA, 4));
    static final int ADDRESS_REGION = 0;
    static final int DATA_REGION = 2;
    static final int ENABLE = 0x8000_0000;
    /** Enable, bus, device, function, dword register; reserved bits 24–30 and 0–1 read 0. */
    static final int ADDRESS_MASK = 0x80FF_FFFC;

    private final String name;
    private final HostBridge hostBridge = new HostBridge();
    /** Functions of bus 0 by devfn; null slots are absent. Filled before the VM runs. */
    private final PciConfigSpace[] functions = new PciConfigSpace[256];
    private final String[] functionNames = new String[256];

    private int address;
    /** The plugin functions attached through {@link #attach(String, PciFunction, PciBarMapper)}. */
    private final java.util.List<Type0Function> pluginFunctions = new java.util.ArrayList<>();

    PciBusDevice(String name) {
        this.name = name;
    }

    HostBridge hostBridge() {
        return hostBridge;
    }

    @Override
    public void attach(String functionName, PciConfigSpace function) {
        PciAddress at = function.address();
        if (at.bus() != 0) {
            throw new IllegalStateException("cannot attach " + functionName + " to " + at + ": "
                    + name + " serves bus 00 only");
        }
        int slot = at.devfn();
        if (functions[slot] != null) {
            throw new IllegalStateException("cannot attach " + functionName + " to " + at
                    + ", already occupied by " + functionNames[slot]);
        }
        functions[slot] = function;
        functionNames[slot] = functionName;
    }

    @Override
    public void attach(String functionName, PciFunction function, PciBarMapper bars) {
        Type0Function f = new Type0Function(function, bars);
        attach(functionName, f);
        pluginFunctions.add(f);
    }

    // --- port I/O --------------------------------------------------------------------------

    @Override
    public List<IoRegion> pioRegions() {
        return REGIONS;
    }

    @Override
    public IoResult ioRead(int region, int offset, byte[] data) {
        int len = data.length;
        if (region == DATA_REGION) {
            IoResult check = checkDataAccess(offset, len);
            if (check != IoResult.OK) {
                return check;
            }
            PciConfigSpace f = selected();
            if (f == null) {
                IoData.fillOnes(data);
                return IoResult.OK;
            }
            return f.pciConfigRead(registerOffset(offset), data);
        }
        if (region == ADDRESS_REGION && offset == 0 && len == 4) {
            IoData.put(data, address & 0xFFFF_FFFFL);
        } else {
            IoData.fillOnes(data); // not a config-address cycle: nothing decodes it
        }
        return IoResult.OK;
    }

    @Override
    public IoResult ioWrite(int region, int offset, byte[] data) {
        int len = data.length;
        if (region == DATA_REGION) {
            IoResult check = checkDataAccess(offset, len);
            if (check != IoResult.OK) {
                return check;
            }
            PciConfigSpace f = selected();
            return f == null ? IoResult.OK : f.pciConfigWrite(registerOffset(offset), data);
        }
        if (region == ADDRESS_REGION && offset == 0 && len == 4) {
            address = (int) IoData.get(data) & ADDRESS_MASK;
        }
        return IoResult.OK;
    }

    private static IoResult checkDataAccess(int offset, int len) {
        if (len != 1 && len != 2 && len != 4) {
            return IoResult.INVALID_ACCESS_SIZE;
        }
        if ((offset & (len - 1)) != 0) {
            return IoResult.UNALIGNED_ACCESS;
        }
        return IoResult.OK;
    }

    /** The function the address register selects, or null (disabled, other bus, absent). */
    private PciConfigSpace selected() {
        if ((address & ENABLE) == 0 || ((address >>> 16) & 0xFF) != 0) {
            return null;
        }
        return functions[(address >>> 8) & 0xFF];
    }

    private int registerOffset(int dataOffset) {
        return (address & 0xFC) + dataOffset;
    }

    int addressRegister() {
        return address;
    }

    // --- lifecycle and saved state ---------------------------------------------------------

    /** Back to {@link PciBusState#initial}: decoding off in every plugin function, so the board unmaps every BAR. */
    @Override
    public void reset() {
        apply(PciBusState.initial(pluginFunctions.stream().map(f -> f.address().devfn()).sorted().toList()));
    }

    @Override
    public SavedStateBlob save() {
        return PciBusState.FORMAT.save(capture());
    }

    /**
     * Decodes and checks all of {@code blob} first — including that it holds exactly the functions
     * attached here, and BAR addresses each function's BARs can hold — so a bad blob throws and
     * changes nothing; then maps the BARs as the guest's writes did.
     */
    @Override
    public void restore(SavedStateBlob blob) {
        PciBusState s = PciBusState.FORMAT.restore(blob);
        List<Type0Function> attached = sortedPluginFunctions();
        List<Integer> want = attached.stream().map(f -> f.address().devfn()).toList();
        List<Integer> got = s.functions().stream().map(PciBusState.Function::devfn).toList();
        if (!want.equals(got)) {
            throw new IllegalArgumentException(name + ": saved state has PCI functions at devfn " + got
                    + " but the functions attached here are at " + want);
        }
        try {
            for (int i = 0; i < attached.size(); i++) {
                attached.get(i).check(s.functions().get(i));
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name + ": " + e.getMessage(), e);
        }
        apply(s);
    }

    PciBusState capture() {
        return new PciBusState(address, hostBridge.command(), hostBridge.latencyTimer(),
                sortedPluginFunctions().stream().map(Type0Function::capture).toList());
    }

    /** Makes {@code s}, whose functions match the attached ones (checked), the state of the bus and its functions. */
    private void apply(PciBusState s) {
        address = s.address();
        hostBridge.restore(s.hostCommand(), s.hostLatencyTimer());
        List<Type0Function> attached = sortedPluginFunctions();
        for (int i = 0; i < attached.size(); i++) {
            attached.get(i).apply(s.functions().get(i));
        }
    }

    private List<Type0Function> sortedPluginFunctions() {
        return pluginFunctions.stream().sorted(java.util.Comparator.comparingInt(f -> f.address().devfn())).toList();
    }
}
